using FluentAssertions;
using KmodBalance.Harness.Compare;
using KmodBalance.Harness.Lab;
using KmodBalance.Harness.Lab.Steps;
using KmodBalance.Harness.Measurement;
using KmodBalance.Harness.Reporting;

namespace KmodBalance.Tests.Compare;

public class TrialResultTests
{
    private static readonly ScheduledTrial Slot = new(Policy.Dynamic, 2, 5);

    private static MeasureSteps.Snapshot Snapshot(BalanceStats? balance) =>
        new(new QueueSnapshot(new Dictionary<int, long>(), new Dictionary<int, long>(), new Dictionary<int, long>()), balance,
            new RawSnapshot("", "", "", "", ""));

    private static TrialMeasurement Measurement(long[] rx, IReadOnlyList<string>? problems = null, long? migrationsBefore = 2, long? migrationsAfter = 5,
        Policy policy = Policy.Dynamic)
    {
        var samples = rx.Select((r, q) => new QueueSample(q, 1, r, r * 2)).ToList();
        var flows = new[] { new FlowReport(1, 10.5), new FlowReport(2, 20.25) };
        BalanceStats? Stats(long? m) => m is { } v ? new BalanceStats(false, 4, v, []) { Policy = policy.Name() } : null;
        return new TrialMeasurement(samples, new MeasureSteps.NetperfOutcome(flows, problems ?? [], ""),
            Snapshot(Stats(migrationsBefore)), Snapshot(Stats(migrationsAfter)), "l1=tcg,l2=kvm");
    }

    [Fact]
    public void Counts_a_queue_as_used_from_five_percent_of_the_guest_packets()
    {
        var t = TrialResult.From(Slot, Measurement([100, 49, 251, 600]), [], 4, 41.26, 1);

        t.Measured.Should().BeTrue();
        t.GuestShares.Should().Equal(0.1, 0.049, 0.251, 0.6);
        t.QueuesUsed.Should().Be(3);
        t.TotalMbps.Should().Be(30.75);
        t.Evidence.Should().Be(SpreadEvidence.RxPackets);
        t.WallSeconds.Should().Be(41.3);
    }

    [Fact]
    public void Migrations_are_those_during_netperf()
    {
        TrialResult.From(Slot, Measurement([1, 1, 1, 1]), [], 4, 1, 1).Migrations.Should().Be(3);
        TrialResult.From(Slot, Measurement([1, 1, 1, 1], policy: Policy.Adaptive), [], 4, 1, 1).Migrations.Should().Be(3);
        TrialResult.From(Slot, Measurement([1, 1, 1, 1], migrationsBefore: null, migrationsAfter: null), [], 4, 1, 1)
            .Migrations.Should().BeNull();
        TrialResult.From(Slot, Measurement([1, 1, 1, 1], policy: Policy.Hash), [], 4, 1, 1).Migrations.Should().BeNull("hash has no remapper");
    }

    [Fact]
    public void A_failed_flow_or_a_kernel_splat_makes_the_trial_an_error_not_a_low_figure()
    {
        TrialResult.From(Slot, Measurement([1, 1, 1, 1], ["flow 3: netperf exited 124 (timed out)"]), [], 4, 1, 1)
            .Error.Should().Contain("flow 3");
        TrialResult.From(Slot, Measurement([1, 1, 1, 1]), ["l1 console: WARNING: at drivers/net/tun.c:1"], 4, 1, 1)
            .Error.Should().Contain("drivers/net/tun.c");
    }

    [Fact]
    public void No_counted_traffic_is_an_error()
    {
        TrialResult.From(Slot, Measurement([0, 0, 0, 0]) with { Samples = [new QueueSample(0, 0, 0, 0)] }, [], 4, 1, 1)
            .Measured.Should().BeFalse();
    }
}
