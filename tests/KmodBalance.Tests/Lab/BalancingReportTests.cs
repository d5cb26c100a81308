using FluentAssertions;
using KmodBalance.Harness.Infrastructure;
using KmodBalance.Harness.Lab.Steps;
using KmodBalance.Harness.Measurement;
using Xunit;

namespace KmodBalance.Tests.Lab;

/// <summary>How `lab run` and `lab compare` turn balancing on (balance_default=1 at insmod for hash and
/// dynamic) and what their reports say about it.</summary>
public class BalancingReportTests
{
    [Fact]
    public void Load_tun_output_gives_the_status_and_balance_default()
    {
        LabHostSteps.ParseLoadOutput("KMB-TUN srcversion=ABC taint=OE\nKMB-BALANCE default=1 how=insmod balance_default=1\n")
            .Should().Be(("KMB-TUN srcversion=ABC taint=OE", (int?)1));
        LabHostSteps.ParseLoadOutput("KMB-TUN srcversion= taint=OE\nKMB-BALANCE none\n").BalanceDefault.Should().BeNull("the stock module has no balancer");
        FluentActions.Invoking(() => LabHostSteps.ParseLoadOutput("nothing")).Should().Throw<LabStepException>();
    }

    [Fact]
    public void The_report_line_says_on_and_how_or_off()
    {
        var stats = BalanceStatsParser.Parse("balancers 1\ndevice ltap0 ifindex 4 policy dynamic flows 0 migrations 0 periods 0\n", "ltap0");
        LabHostSteps.DescribeBalancing(1, 1, stats).Should().Be("on (insmod tun.ko balance_default=1; ltap0 reads balance=1 and is in tun_balance with policy dynamic)");
        LabHostSteps.DescribeBalancing(null, null, null).Should().Be("off (stock: the module has no balancer)");
        LabHostSteps.DescribeBalancing(0, 0, BalanceStatsParser.Parse("balancers 0\n", "ltap0")).Should().StartWith("off (balance_default=0, ltap0 reads balance=0, no balancer state");
    }

    [Fact]
    public void Migrations_during_netperf_are_counted_for_dynamic_only()
    {
        BalanceStats Block(string policy, long migrations) =>
            BalanceStatsParser.Parse($"balancers 1\ndevice ltap0 ifindex 4 policy {policy} flows 4 migrations {migrations} periods 9\n", "ltap0");
        MeasureSteps.Snapshot Snap(BalanceStats? b) => new(new QueueSnapshot(new Dictionary<int, long>(), new Dictionary<int, long>(), new Dictionary<int, long>()), b, new RawSnapshot("", "", "", "", ""));
        new KmodBalance.Harness.Lab.TrialMeasurement([], new MeasureSteps.NetperfOutcome([], [], ""), Snap(Block("dynamic", 2)), Snap(Block("dynamic", 5)), "x")
            .Migrations.Should().Be(3);
        new KmodBalance.Harness.Lab.TrialMeasurement([], new MeasureSteps.NetperfOutcome([], [], ""), Snap(Block("hash", 0)), Snap(Block("hash", 0)), "x")
            .Migrations.Should().BeNull("hash has no migrations");
    }
}
