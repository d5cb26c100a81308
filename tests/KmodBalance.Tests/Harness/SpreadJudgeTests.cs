using FluentAssertions;
using KmodBalance.Harness.Measurement;
using Xunit;

namespace KmodBalance.Tests.Harness;

public class SpreadJudgeTests
{
    private static readonly SpreadCriteria Default = new();

    private static IReadOnlyList<QueueSample> Rx(params long[] rx) =>
        rx.Select((r, q) => new QueueSample(q, Interrupts: 100, RxPackets: r, HostPackets: 1000)).ToList();

    [Fact]
    public void Balanced_four_flows_on_four_queues_pass()
    {
        var verdict = SpreadJudge.Judge(Rx(2522, 2618, 2630, 2659), flows: 4, Default);

        verdict.Passed.Should().BeTrue();
        verdict.Evidence.Should().Be(SpreadEvidence.RxPackets);
        verdict.Reasons.Should().BeEmpty();
        verdict.Shares.Sum().Should().BeApproximately(1.0, 1e-12);
        verdict.Jain.Should().BeGreaterThan(0.99);
    }

    [Fact]
    public void A_starved_queue_fails_with_a_reason_naming_it()
    {
        var verdict = SpreadJudge.Judge(Rx(4000, 4000, 300, 4000), flows: 4, Default);

        verdict.Passed.Should().BeFalse();
        verdict.Reasons.Should().ContainSingle().Which.Should().Contain("queue 2").And.Contain("rxPackets").And.Contain("< 10%");
    }

    [Fact]
    public void Exactly_the_minimum_share_passes() =>
        SpreadJudge.Judge(Rx(10, 30, 30, 30), flows: 4, Default).Passed.Should().BeTrue();

    [Fact]
    public void Hash_collision_two_flows_on_one_queue_fails_with_four_flows()
    {
        // Like the mqtap hash-mode run: q0=2000 q1=0 q2=4000 q3=2000.
        var verdict = SpreadJudge.Judge(Rx(2000, 0, 4000, 2000), flows: 4, Default);

        verdict.Passed.Should().BeFalse();
        verdict.Shares.Should().Equal(0.25, 0.0, 0.5, 0.25);
        verdict.Jain.Should().BeApproximately(1.0 / (4 * (0.0625 + 0.25 + 0.0625)), 1e-12);
    }

    [Fact]
    public void Fewer_flows_than_queues_need_as_many_used_queues_as_flows()
    {
        SpreadJudge.Judge(Rx(5000, 0, 5000, 0), flows: 2, Default).Passed.Should().BeTrue();

        var verdict = SpreadJudge.Judge(Rx(10000, 0, 0, 0), flows: 2, Default);
        verdict.Passed.Should().BeFalse();
        verdict.Reasons.Should().ContainSingle().Which.Should().Contain("only 1 of 4 queues");
    }

    [Fact]
    public void Falls_back_to_host_packets_then_interrupts()
    {
        var host = new[] { new QueueSample(0, 5, 0, 100), new QueueSample(1, 5, 0, 100) };
        SpreadJudge.Judge(host, 2, Default).Evidence.Should().Be(SpreadEvidence.HostPackets);

        var irq = new[] { new QueueSample(0, 50, 0, 0), new QueueSample(1, 2, 0, 0) };
        var verdict = SpreadJudge.Judge(irq, 2, Default);
        verdict.Evidence.Should().Be(SpreadEvidence.Interrupts);
        verdict.Passed.Should().BeFalse();
    }

    [Fact]
    public void No_traffic_fails()
    {
        var verdict = SpreadJudge.Judge([new QueueSample(0, 0, 0, 0), new QueueSample(1, 0, 0, 0)], 2, Default);

        verdict.Passed.Should().BeFalse();
        verdict.Evidence.Should().Be(SpreadEvidence.None);
        verdict.Jain.Should().Be(0);
        verdict.Reasons.Should().ContainSingle().Which.Should().Contain("no traffic");
    }

    [Fact]
    public void No_queues_and_zero_flows_fail()
    {
        SpreadJudge.Judge([], 4, Default).Passed.Should().BeFalse();
        SpreadJudge.Judge(Rx(10, 10), 0, Default).Reasons.Should().Contain(r => r.Contains("flows"));
    }

    [Fact]
    public void Custom_min_share()
    {
        SpreadJudge.Judge(Rx(20, 26, 27, 27), 4, new SpreadCriteria(0.22)).Passed.Should().BeFalse();
        SpreadJudge.Judge(Rx(20, 26, 27, 27), 4, new SpreadCriteria(0.2)).Passed.Should().BeTrue();
        FluentActions.Invoking(() => SpreadJudge.Judge(Rx(1), 1, new SpreadCriteria(0))).Should().Throw<ArgumentOutOfRangeException>();
    }
}
