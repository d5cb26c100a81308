using KmodBalance.Generator.UserSpace;
using Xunit;

namespace KmodBalance.Tests.Differential;

[Trait("Category", "Differential")]
public sealed class CallgrindDumpTests
{
    [Fact]
    public void Reads_the_client_request_and_the_totals_of_a_dump()
    {
        const string dump = """
            # callgrind format
            version: 1
            creator: callgrind-3.19.0
            desc: I1 cache: 
            desc: Timerange: Basic block 26192561 - 26931142
            desc: Trigger: Client Request: select dynamic
            events: Ir
            summary: 1824727
            fl=(1) ???
            totals: 1824727
            """;
        Assert.Equal(new CallgrindDump("select dynamic", 1824727), CallgrindDump.Parse(dump));
    }

    [Fact]
    public void Reads_how_many_flows_the_bench_driver_tracks()
    {
        Assert.Equal(4096, CallgrindBench.TrackedFlows("dynamic tracks 4096 of 100000 flows\nmigrations 3 flow_count 4096 sink 1\n"));
    }
}
