using FluentAssertions;
using KmodBalance.Model.Simulation;
using Xunit;

namespace KmodBalance.Tests.Model;

public class TraceParserTests
{
    [Fact]
    public void Parses_header_comments_and_packets_sorted_by_time()
    {
        var packets = TraceParser.Parse("""
            time_us,src,dst,sport,dport,proto,size
            # a comment
            20,10.0.0.1,10.0.0.2,1234,80,tcp,1500

            10,fe80::1,fe80::2,1,2,udp,60
            15,10.0.0.1,10.0.0.2,1234,80,6,65536
            """);
        packets.Select(p => p.TimeUs).Should().Equal(10ul, 15ul, 20ul);
        packets[0].Tuple.Proto.Should().Be(FiveTuple.Udp);
        packets[1].Tuple.Should().Be(packets[2].Tuple);
        packets[1].Size.Should().Be(65536u);
    }

    [Theory]
    [InlineData("10,10.0.0.1,10.0.0.2,1,2,tcp", "expected 7 comma-separated fields")]
    [InlineData("x,10.0.0.1,10.0.0.2,1,2,tcp,100", "time_us 'x'")]
    [InlineData("-5,10.0.0.1,10.0.0.2,1,2,tcp,100", "time_us '-5'")]
    [InlineData("10,10.0.0,10.0.0.2,1,2,tcp,100", "src '10.0.0'")]
    [InlineData("10,10.0.0.1,host,1,2,tcp,100", "dst 'host'")]
    [InlineData("10,10.0.0.1,10.0.0.2,70000,2,tcp,100", "sport '70000'")]
    [InlineData("10,10.0.0.1,10.0.0.2,1,x,tcp,100", "dport 'x'")]
    [InlineData("10,10.0.0.1,10.0.0.2,1,2,sctp,100", "proto 'sctp'")]
    [InlineData("10,10.0.0.1,10.0.0.2,1,2,tcp,0", "size '0'")]
    public void A_bad_line_is_reported_with_its_number(string bad, string problem)
    {
        var text = $"{TraceParser.Header}\n1,10.0.0.1,10.0.0.2,1,2,tcp,100\n{bad}\n";
        var e = FluentActions.Invoking(() => TraceParser.Parse(text)).Should().Throw<TraceFormatException>().Which;
        e.Line.Should().Be(3);
        e.Message.Should().StartWith("trace line 3: ").And.Contain(problem);
    }

    [Fact]
    public void An_empty_trace_is_an_error()
    {
        FluentActions.Invoking(() => TraceParser.Parse($"{TraceParser.Header}\n"))
            .Should().Throw<TraceFormatException>().WithMessage("*no packets*");
    }

    [Fact]
    public void The_flow_hash_depends_on_the_tuple_and_the_seed_only()
    {
        var t = TraceParser.Parse("1,10.0.0.1,10.0.0.2,1,2,tcp,100")[0].Tuple;
        var same = TraceParser.Parse("9,10.0.0.1,10.0.0.2,1,2,tcp,900")[0].Tuple;
        t.Hash(1).Should().Be(same.Hash(1));
        t.Hash(1).Should().NotBe(t.Hash(2));
    }
}
