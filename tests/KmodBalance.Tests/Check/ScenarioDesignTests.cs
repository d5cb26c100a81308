using FluentAssertions;
using KmodBalance.Harness.Check;
using KmodBalance.Harness.Measurement;
using KmodBalance.Harness.Reporting;

namespace KmodBalance.Tests.Check;

/// <summary>The dynamic scenarios' designs replayed through the C# reference model: whatever the remap
/// timer's phase, the flow hashes (the boot's seed) and the sender's stalls, the analyzers must pass
/// them. This is why `kmb lab check` can assert its properties exactly on a real run.</summary>
public sealed class ScenarioDesignTests
{
    public static TheoryData<string> DynamicScenarios() => new() { "spread4", "converge" };

    private static CheckScenario Named(string name) => CheckScenarios.For(Policy.Dynamic).Single(s => s.Name == name);

    [Theory]
    [MemberData(nameof(DynamicScenarios))]
    public void Every_timer_phase_and_flow_hash_passes_every_property(string name)
    {
        var scenario = Named(name);
        var failures = new List<string>();
        for (int phase = 1; phase <= scenario.PeriodMs; phase += 3)
        {
            foreach (var seed in new[] { phase, phase + 1000 })
            {
                var verdicts = ScenarioAnalyzer.Judge(ScenarioModel.Replay(scenario, new ReplayConditions(phase, seed, TimerLateMs: 5)));
                failures.AddRange(verdicts.Where(v => v.Verdict != LabVerdicts.Pass).Select(v => $"phase {phase} seed {seed}: {v.Property}: {v.Message}"));
            }
        }
        failures.Should().BeEmpty();
    }

    /// <summary>L1's timers under TCG: each remap up to 60% of a period late, the next armed from it. The
    /// predictions come from the remaps and states the samples show, so the verdicts hold; the check's
    /// first design, a schedule of punctual timers, failed spread4 here (one per queue 450 ms after the
    /// start, past its 440 ms bound).</summary>
    [Theory]
    [MemberData(nameof(DynamicScenarios))]
    public void Remap_timers_running_late_do_not_change_the_outcome(string name)
    {
        var scenario = Named(name);
        var rng = new Random(7);
        var failures = new List<string>();
        for (int run = 0; run < 150; run++)
        {
            var c = new ReplayConditions(rng.NextDouble() * scenario.PeriodMs!.Value + 0.01, rng.Next(), TimerLateMs: 0.6 * scenario.PeriodMs.Value);
            var verdicts = ScenarioAnalyzer.Judge(ScenarioModel.Replay(scenario, c));
            failures.AddRange(verdicts.Where(v => v.Verdict != LabVerdicts.Pass).Select(v => $"{c}: {v.Property}: {v.Message}"));
        }
        failures.Should().BeEmpty();
    }

    [Theory]
    [MemberData(nameof(DynamicScenarios))]
    public void Sender_stalls_up_to_the_designed_lateness_do_not_change_the_outcome(string name)
    {
        var scenario = Named(name);
        var rng = new Random(42);
        var failures = new List<string>();
        for (int run = 0; run < 150; run++)
        {
            var c = new ReplayConditions(rng.NextDouble() * scenario.PeriodMs!.Value + 0.01, rng.Next(), StallsPerSecond: 8,
                MaxStallMs: scenario.MaxSenderLateMs, TimerLateMs: 8);
            var verdicts = ScenarioAnalyzer.Judge(ScenarioModel.Replay(scenario, c));
            failures.AddRange(verdicts.Where(v => v.Verdict != LabVerdicts.Pass).Select(v => $"{c}: {v.Property}: {v.Message}"));
        }
        failures.Should().BeEmpty();
    }
}

/// <summary>Balancers that break BALANCER.md, replayed through the same scenarios: the analyzers must
/// catch each one (so a passing lab check means something).</summary>
public sealed class BrokenBalancerTests
{
    private static CheckScenario Named(string name) => CheckScenarios.For(Policy.Dynamic).Single(s => s.Name == name);

    private static IReadOnlyList<PropertyVerdict> Judge(string scenario, Func<uint, IQueueSelectorForReplay> balancer, double phase = 77) =>
        ScenarioAnalyzer.Judge(ScenarioModel.Replay(Named(scenario), new ReplayConditions(phase, 5, TimerLateMs: 4), balancer));

    [Theory]
    [InlineData("spread4", CheckProperties.OnePerQueueWithinTwoPeriods)]
    [InlineData("converge", CheckProperties.ConvergesWithinThreshold)]
    public void A_balancer_that_never_remaps_fails(string scenario, string property) =>
        Judge(scenario, _ => new Naive(remap: false, moveLone: false)).Single(v => v.Property == property).Verdict.Should().Be(LabVerdicts.Fail);

    [Theory]
    [InlineData("spread4")]
    [InlineData("converge")]
    public void A_balancer_that_moves_a_lone_flow_fails_the_lone_flow_property(string scenario)
    {
        var v = Judge(scenario, _ => new Naive(remap: true, moveLone: true)).Single(v => v.Property == CheckProperties.LoneFlowNeverMoved);
        v.Verdict.Should().Be(LabVerdicts.Fail);
        v.Message.Should().Contain("ALONE");
    }

    [Fact]
    public void A_balancer_that_miscounts_migrations_fails()
    {
        var v = Judge("spread4", t => new Miscounting(t)).Single(v => v.Property == CheckProperties.OnePerQueueWithinTwoPeriods);
        v.Verdict.Should().Be(LabVerdicts.Fail);
        v.Message.Should().Contain("migrations but mqtap saw");
    }

    [Fact]
    public void A_balancer_with_a_much_higher_threshold_does_not_converge()
    {
        var verdicts = Judge("converge", _ => new Real(400));
        verdicts.Single(v => v.Property == CheckProperties.ConvergesWithinThreshold).Verdict.Should().Be(LabVerdicts.Fail);
    }

    [Fact]
    public void The_reference_model_itself_passes_through_the_same_hook()
    {
        var verdicts = Judge("spread4", t => new Real(t)).Concat(Judge("converge", t => new Real(t)));
        verdicts.Should().OnlyContain(v => v.Verdict == LabVerdicts.Pass);
    }

    /// <summary>Places new flows on the queue with fewest flows; each remap moves the heaviest queue's
    /// biggest flow to the lightest queue when <c>remap</c>, even if it is alone there when <c>moveLone</c>.</summary>
    private sealed class Naive(bool remap, bool moveLone) : IQueueSelectorForReplay
    {
        private readonly Dictionary<uint, (int Queue, long Packets)> _flows = [];
        private long[] _last = new long[4];
        private long _migrations;
        private long _periods;

        public int Select(uint hash, uint queues)
        {
            if (!_flows.TryGetValue(hash, out var f))
                f = (Enumerable.Range(0, (int)queues).OrderBy(q => _last[q]).ThenBy(q => _flows.Values.Count(x => x.Queue == q)).First(), 0);
            _flows[hash] = (f.Queue, f.Packets + 1);
            return f.Queue;
        }

        public void Remap(uint queues)
        {
            _periods++;
            var load = new long[queues];
            foreach (var f in _flows.Values) load[f.Queue] += f.Packets;
            _last = load;
            if (remap && _flows.Count > 0)
            {
                int heavy = Array.IndexOf(load, load.Max()), light = Array.IndexOf(load, load.Min());
                var on = _flows.Where(f => f.Value.Queue == heavy).OrderByDescending(f => f.Value.Packets).ToList();
                if (heavy != light && (moveLone || on.Count > 1))
                {
                    _flows[on[0].Key] = (light, on[0].Value.Packets);
                    _migrations++;
                }
            }
            foreach (var k in _flows.Keys.ToList())
            {
                if (_flows[k].Packets == 0) _flows.Remove(k);
                else _flows[k] = (_flows[k].Queue, 0);
            }
        }

        public BalanceStats Stats(int queues) => new(false, _flows.Count, _migrations,
            Enumerable.Range(0, queues).Select(q => new QueueBalance(q, _last[q], _flows.Values.Count(f => f.Queue == q))).ToList())
        {
            Periods = _periods,
        };
    }

    private class Real(uint threshold) : IQueueSelectorForReplay
    {
        protected readonly KmodBalance.Model.Balancing.DynamicBalancer B = new(threshold);
        public int Select(uint hash, uint queues) => B.Select(hash, 1, queues);
        public void Remap(uint queues) => B.Remap(queues);
        public virtual BalanceStats Stats(int queues) => new(false, B.FlowCount, B.Migrations,
            Enumerable.Range(0, queues).Select(q => new QueueBalance(q, B.LastLoad(q), B.FlowsOnQueue(q))).ToList())
        {
            Periods = B.Periods,
        };
    }

    private sealed class Miscounting(uint threshold) : Real(threshold)
    {
        public override BalanceStats Stats(int queues) => base.Stats(queues) with { Migrations = B.Migrations * 2 };
    }
}
