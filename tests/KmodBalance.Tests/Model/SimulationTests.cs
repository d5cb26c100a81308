using System.Text.Json;
using FluentAssertions;
using KmodBalance.Model.Balancing;
using KmodBalance.Model.Simulation;
using Xunit;

namespace KmodBalance.Tests.Model;

public class SimulationTests
{
    [Fact]
    public void A_run_that_delivers_nothing_is_even()
    {
        // Nothing to share: the run's Jain is 1 (and its relative throughput ideal), unlike the lab's 0 for no load.
        var run = Simulator.RunFlows(new HashBalancer(), new ScenarioRun([], DurationSec: 0.01), new SimulationOptions(Runs: 1), hashSeed: 1);
        run.Jain.Should().Be(1);
        run.Throughput.Should().Be(1);
    }

    [Fact]
    public void Capacity_is_shared_max_min_fairly()
    {
        Simulator.ShareCapacity(15, [5.75, 5.75, 5.75]).Should().Equal(5, 5, 5);
        Simulator.ShareCapacity(15, [2, 10, 10]).Should().Equal(2, 6.5, 6.5);
        Simulator.ShareCapacity(15, [5.75]).Should().Equal(5.75);
        Simulator.ShareCapacity(15, []).Should().BeEmpty();
    }

    [Fact]
    public void Paper_dynamic_is_balanced_in_every_run_and_hash_is_not()
    {
        var report = Simulator.Run("paper", SimulatedPolicies.All, new SimulationOptions(Queues: 4, PeriodMs: 200, Threshold: 64, Runs: 20, Seed: 1));
        var hash = report.Policies.Single(p => p.Policy == "hash");
        var dynamic = report.Policies.Single(p => p.Policy == "dynamic");

        dynamic.BalancedRuns.Should().Be(20);
        dynamic.Runs.Should().OnlyContain(r => r.QueuesUsed == 4 && r.Throughput > 0.999);
        hash.BalancedRuns.Should().BeLessThan(20, "some run puts 3 or 4 of the 4 flows on one queue");
        hash.Runs.Should().Contain(r => r.PeriodsUntilBalanced == null);
        // Calibration: 4 flows x 5.75 Gbps = 23 Gbps when spread.
        dynamic.MeanThroughputGbps.Should().BeApproximately(23.0, 0.01);
        dynamic.MeanThroughputGbps.Should().BeGreaterThan(hash.MeanThroughputGbps);
    }

    [Fact]
    public void Paper_hash_collision_costs_what_the_capacity_model_says()
    {
        // Three flows on one 15 Gbps queue get at most 15, the fourth alone 5.75: 20.75 of 23 in the
        // fluid split; a saturated FIFO ring fed whole packets idles now and then, so a little less.
        var report = Simulator.Run("paper", [Policy.Hash], new SimulationOptions(Runs: 20, Seed: 1));
        report.Policies[0].Runs.Where(r => !r.Balanced)
            .Should().OnlyContain(r => (r.ThroughputGbps <= 20.76 && r.ThroughputGbps > 20.75 * 0.9)
                || (r.ThroughputGbps <= 15.01 && r.ThroughputGbps > 15.0 * 0.9));
    }

    [Fact]
    public void Same_seed_same_report()
    {
        var o = new SimulationOptions(Runs: 3, Seed: 7);
        ReportJson.Render(Simulator.Run("churn", SimulatedPolicies.All, o))
            .Should().Be(ReportJson.Render(Simulator.Run("churn", SimulatedPolicies.All, o)));
    }

    [Fact]
    public void Json_for_one_policy_is_an_object_with_runs()
    {
        var report = Simulator.Run("paper", [Policy.Dynamic], new SimulationOptions(Runs: 2));
        using var doc = JsonDocument.Parse(ReportJson.Render(report));
        var root = doc.RootElement;
        root.GetProperty("policy").GetString().Should().Be("dynamic");
        root.GetProperty("scenario").GetString().Should().Be("paper");
        var runs = root.GetProperty("runs");
        runs.GetArrayLength().Should().Be(2);
        var run = runs[0];
        foreach (var key in new[] { "jain", "queuesUsed", "throughput", "throughputGbps", "migrations", "reordered", "dropped", "queueShare", "periodsUntilBalanced", "maxQueueGbps", "meanQueueGbps" })
            run.TryGetProperty(key, out _).Should().BeTrue(key);
        run.GetProperty("queueShare").GetArrayLength().Should().Be(4);
    }

    [Fact]
    public void Json_for_several_policies_lists_them_under_policies()
    {
        var report = Simulator.Run("paper", SimulatedPolicies.All, new SimulationOptions(Runs: 2));
        using var doc = JsonDocument.Parse(ReportJson.Render(report));
        var root = doc.RootElement;
        root.GetProperty("scenario").GetString().Should().Be("paper");
        root.GetProperty("policies").EnumerateArray().Select(p => p.GetProperty("policy").GetString())
            .Should().Equal("hash", "dynamic", "stock", "adaptive");
        root.GetProperty("policies")[1].GetProperty("runs").GetArrayLength().Should().Be(2);
        root.GetProperty("ratios").TryGetProperty("dynamic/hash", out _).Should().BeTrue();
    }

    [Theory]
    [InlineData(0, 200, 64, 20, "--queues 0")]
    [InlineData(4, 0, 64, 20, "--period-ms 0")]
    [InlineData(4, 5, 64, 20, "below the 10 ms floor")]
    [InlineData(4, 60001, 64, 20, "ceiling")]
    [InlineData(4, 200, -1, 20, "--threshold -1")]
    [InlineData(4, 200, 64, 0, "--runs 0")]
    [InlineData(300, 200, 64, 20, "at most 256")]
    public void Bad_options_are_named(long queues, long period, long threshold, long runs, string expected) =>
        SimulationOptions.Problems(queues, period, threshold, runs).Should().ContainSingle().Which.Should().Contain(expected);

    [Fact]
    public void Trace_replay_runs_every_policy()
    {
        var lines = new List<string> { TraceParser.Header };
        for (int i = 0; i < 4000; i++)
            lines.Add($"{i * 25},10.0.0.1,10.0.0.2,{40000 + i % 8},5001,tcp,9000");
        var packets = TraceParser.Parse(string.Join('\n', lines));
        var report = Simulator.RunTrace("t", packets, SimulatedPolicies.All, new SimulationOptions(PeriodMs: 10, Runs: 3));
        report.Policies.Should().HaveCount(4);
        report.Policies.Should().OnlyContain(p => p.Runs.All(r => r.Flows == 8 && r.ThroughputGbps > 0));
    }
}
