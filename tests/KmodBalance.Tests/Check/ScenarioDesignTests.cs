using FluentAssertions;
using KmodBalance.Harness.Check;
using KmodBalance.Harness.Reporting;

namespace KmodBalance.Tests.Check;

/// <summary>The dynamic scenarios' designs replayed through the C# reference model: whatever the remap
/// timer's phase, the flow hashes (the boot's seed) and the sender's stalls, the analyzers must pass
/// them. This is why `kmb lab check` can assert its properties exactly on a real run.</summary>
public sealed class ScenarioDesignTests
{
    public static TheoryData<string> DynamicScenarios() => new() { "spread4", "converge" };

    private static CheckScenario Named(string name) => CheckScenarios.For("dynamic").Single(s => s.Name == name);

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
