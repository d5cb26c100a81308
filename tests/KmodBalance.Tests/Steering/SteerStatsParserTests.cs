using FluentAssertions;
using KmodBalance.Harness.Lab;
using KmodBalance.Harness.Lab.Steps;
using KmodBalance.Harness.Measurement;
using KmodBalance.Harness.Steering;
using Xunit;

namespace KmodBalance.Tests.Steering;

/// <summary>The stats adapter: kmbsteer's statistics file as the BalanceStats the lab reads from the
/// module's tun_balance, and the lab's lines built on it.</summary>
public sealed class SteerStatsParserTests
{
    // as kmbsteer.c's steer_write_stats() writes it
    private const string Four = """
        device ltap0 policy dynamic backend ebpf queues 4 flows 4 migrations 2 periods 57
        queue 0 load 310 flows 1
        queue 1 load 298 flows 1
        queue 2 load 305 flows 1
        queue 3 load 290 flows 1

        """;

    [Fact]
    public void Reads_the_same_facts_the_module_file_gives()
    {
        var s = SteerStatsParser.Parse(Four, "ltap0");

        s.Off.Should().BeFalse();
        s.Device.Should().Be("ltap0");
        s.Policy.Should().Be("dynamic");
        s.Flows.Should().Be(4);
        s.Migrations.Should().Be(2);
        s.Periods.Should().Be(57);
        s.Counted.Should().BeNull("this kmbsteer prints no counted total");
        s.Queues.Should().Equal(new QueueBalance(0, 310, 1), new QueueBalance(1, 298, 1), new QueueBalance(2, 305, 1), new QueueBalance(3, 290, 1));
        s.LoadSpread.Should().Be(20);
        s.TotalLoad.Should().Be(1203);
        // what a stock tun cannot have: no host-wide balancer count, no balance attribute
        s.Balancers.Should().BeNull();
        s.Requested.Should().BeNull();
    }

    [Fact]
    public void Takes_a_counted_total_when_kmbsteer_prints_one() =>
        SteerStatsParser.Parse("device kq0 policy dynamic backend ebpf queues 1 flows 0 migrations 0 periods 3 counted 1200\nqueue 0 load 0 flows 0\n")
            .Counted.Should().Be(1200);

    [Theory]
    [InlineData("absent\n")]
    [InlineData("")]
    public void No_file_is_no_statistics(string text) => SteerStatsParser.ParseOptional(text, "ltap0").Should().BeNull();

    [Theory]
    [InlineData("device ltap0 policy dynamic backend ebpf queues 4 flows 4 migrations 2 periods 57\nqueue 0 load 1 flows 1\n", "queue lines")] // cut short
    [InlineData("device kq0 policy dynamic backend ebpf queues 1 flows 0 migrations 0 periods 3\nqueue 0 load 0 flows 0\n", "not ltap0's")]
    [InlineData("balancers 1\ndevice ltap0 ifindex 5 policy dynamic flows 4 migrations 2 periods 57 counted 9\n", "unexpected line")] // the module's file
    [InlineData("device ltap0 policy dynamic backend ebpf queues 1 flows x migrations 0 periods 3\nqueue 0 load 0 flows 0\n", "'x' is not a u32")]
    [InlineData("queue 0 load 0 flows 0\n", "before the device line")]
    [InlineData("device ltap0 policy dynamic backend ebpf queues 2 flows 0 migrations 0 periods 3\nqueue 1 load 0 flows 0\nqueue 0 load 0 flows 0\n", "out of order")]
    public void Anything_else_is_a_format_error(string text, string problem) =>
        FluentActions.Invoking(() => SteerStatsParser.ParseOptional(text, "ltap0")).Should().Throw<FormatException>().WithMessage($"*{problem}*");

    [Fact]
    public void Migrations_during_netperf_come_from_the_adapter_as_from_the_module()
    {
        var before = SteerStatsParser.Parse(Four.Replace("migrations 2", "migrations 1", StringComparison.Ordinal));
        var after = SteerStatsParser.Parse(Four.Replace("migrations 2", "migrations 5", StringComparison.Ordinal));
        var m = Measurement(before, after);

        m.Migrations.Should().Be(4);
        Measurement(null, null).Migrations.Should().BeNull("stock has no balancer");
    }

    [Fact]
    public void The_balancing_line_says_which_back_end_steers()
    {
        var tunables = new Tunables();
        LabHostSteps.DescribeSteering(null, tunables, null).Should().StartWith("off (stock: the kernel's own unmodified tun.ko");
        var on = LabHostSteps.DescribeSteering("KMB-STEER pid=77 kmbsteer: steering ltap0 (1 queues), period 200 ms, threshold 64", tunables,
            SteerStatsParser.Parse(Four));
        on.Should().StartWith("on (eBPF: kmbsteer").And.Contain("period 200 ms, threshold 64").And.Contain("pid=77");
        LabHostSteps.DescribeSteering("KMB-STEER pid=77", tunables, null).Should().StartWith("off (kmbsteer started but");
        LabBackends.Describe(LabBackend.Ebpf).Should().StartWith("ebpf:");
        LabBackends.Describe(LabBackend.Module).Should().StartWith("module:");
    }

    private static TrialMeasurement Measurement(BalanceStats? before, BalanceStats? after)
    {
        var raw = new RawSnapshot("", "", "", "", "");
        var none = new Dictionary<int, long>();
        var empty = new QueueSnapshot(none, none, none);
        return new TrialMeasurement([], new MeasureSteps.NetperfOutcome([], [], ""),
            new MeasureSteps.Snapshot(empty, before, raw), new MeasureSteps.Snapshot(empty, after, raw), "l1=tcg,l2=kvm");
    }
}
