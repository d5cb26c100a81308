using FluentAssertions;
using KmodBalance.Harness.Capacity;

namespace KmodBalance.Tests.Capacity;

public class CapacityRunTests
{
    [Fact]
    public void Every_trial_gets_distinct_ports_reproducible_from_the_seed()
    {
        var a = Enumerable.Range(1, 20).Select(slot => CapacityRun.Ports(7, slot, 4)).ToList();
        var again = Enumerable.Range(1, 20).Select(slot => CapacityRun.Ports(7, slot, 4)).ToList();

        a.Should().OnlyContain(p => p.Distinct().Count() == 4 && p.All(x => x >= 41000 && x < 61000));
        again.Should().BeEquivalentTo(a, o => o.WithStrictOrdering());
        a.Select(p => string.Join(',', p)).Distinct().Should().HaveCount(20, "fresh ports per trial");
        CapacityRun.Ports(8, 1, 4).Should().NotEqual(a[0]);
    }

    [Fact]
    public void The_command_serves_every_queue_at_the_rate_and_closes_the_window_after_the_flows()
    {
        var options = new CapacityOptions { Queues = 4, ServicePps = 1000, FlowPps = 800, DurationSeconds = 2, PayloadBytes = 1000 };

        var command = CapacityRun.Command(options, [41001, 41002]);

        command.Should().Contain("/opt/kmb/check-flows.sh kmbq0 - - '-q 4 -R 1000 -w 2100 -i 2100 -S 1000'");
        command.Should().EndWith(" 41001:800:0:1600 41002:800:0:1600");
        command.Should().Contain("KMB_UDPFLOWS_OPTS='-s 1000'");
    }

    [Fact]
    public void Every_policy_is_accepted() =>
        new CapacityOptions { Policies = PolicyNames.All }.Validate().Should().BeEmpty();

    [Fact]
    public void A_policy_named_twice_is_refused()
    {
        var options = new CapacityOptions { Policies = [Policy.Hash, Policy.Hash] };

        options.Validate().Should().ContainSingle().Which.Should().StartWith("--policies names 'hash' twice");
    }

    [Fact]
    public void Out_of_range_numbers_are_each_named()
    {
        var options = new CapacityOptions { Trials = 0, DurationSeconds = 0, Flows = 0, Queues = 1, FlowPps = 0, ServicePps = 0, PayloadBytes = 10, ReportDir = " " };

        options.Validate().Should().HaveCount(8).And.Contain(e => e.StartsWith("--queues", StringComparison.Ordinal))
            .And.Contain(e => e.StartsWith("--payload", StringComparison.Ordinal)).And.Contain(e => e.StartsWith("--report", StringComparison.Ordinal));
    }

    [Fact]
    public void The_defaults_fit_four_flows_in_four_queues_and_overload_a_queue_with_two()
    {
        var o = new CapacityOptions();

        o.Validate().Should().BeEmpty();
        o.FlowPps.Should().BeLessThanOrEqualTo(o.ServicePps);
        (2 * o.FlowPps).Should().BeGreaterThan(o.ServicePps);
        (o.Flows, o.Queues).Should().Be((4, 4));
    }
}
