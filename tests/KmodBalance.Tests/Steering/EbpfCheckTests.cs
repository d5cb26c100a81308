using FluentAssertions;
using KmodBalance.Harness.Check;
using KmodBalance.Harness.Lab;
using KmodBalance.Harness.Reporting;
using KmodBalance.Harness.Steering;
using Xunit;

namespace KmodBalance.Tests.Steering;

/// <summary>`lab check --backend ebpf`: the scenarios' plumbing (no module parameter, kmbsteer instead of the
/// balance attribute), kmbsteer's history read through the stats adapter, and the judge on runs captured in L1
/// with Debian's unmodified 6.1 tun and kmbsteer (Fixtures/check/ebpf), then on the same runs with one fact broken.</summary>
public sealed class EbpfCheckTests
{
    private static CheckScenario Scenario(string name) =>
        CheckScenarios.For(Policy.Dynamic).Single(s => s.Name == name) with { Backend = LabBackend.Ebpf };

    private static string Fixture(string scenario) =>
        File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "check", "ebpf", $"l1_dynamic_{scenario}.txt"));

    private static (ScenarioObservation Observation, string? Problem) Observe(string scenario, Func<string, string>? change = null) =>
        CheckRun.Observe(Scenario(scenario), CheckFlowsOutputParser.Parse((change ?? (t => t))(Fixture(scenario))));

    private static PropertyVerdict Judge(string scenario, string property, Func<string, string>? change = null)
    {
        var (o, problem) = Observe(scenario, change);
        problem.Should().BeNull();
        return ScenarioAnalyzer.Judge(o).Single(v => v.Property == property);
    }

    [Theory]
    [InlineData("spread4")]
    [InlineData("converge")]
    [InlineData("requeue")]
    [InlineData("optin")]
    [InlineData("flood")]
    [InlineData("single-queue")]
    [InlineData("netpoll")]
    public void Captured_runs_on_the_stock_tun_with_kmbsteer_pass_every_property(string scenario)
    {
        var (o, problem) = Observe(scenario);
        problem.Should().BeNull();
        var verdicts = ScenarioAnalyzer.Judge(o);
        verdicts.Should().HaveCount(Scenario(scenario).Properties.Count);
        verdicts.Should().OnlyContain(v => v.Verdict == LabVerdicts.Pass, string.Join("; ", verdicts.Select(v => v.Message)));
    }

    [Fact]
    public void Migrations_the_history_does_not_count_fail_spread4() =>
        Judge("spread4", CheckProperties.OnePerQueueWithinTwoPeriods,
                t => System.Text.RegularExpressions.Regex.Replace(t, "migrations [0-9]+", "migrations 0"))
            .Verdict.Should().Be(LabVerdicts.Fail);

    [Fact]
    public void A_counted_total_short_of_the_steered_datagrams_fails_flood()
    {
        var v = Judge("flood", CheckProperties.FloodEveryPacketCounted,
            t => System.Text.RegularExpressions.Regex.Replace(t, @"counted (\d+)",
                m => $"counted {Math.Max(0, long.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) - 300)}"));
        v.Verdict.Should().Be(LabVerdicts.Fail);
        v.Message.Should().Contain("not counted");
    }

    [Fact]
    public void A_kmbsteer_that_attached_to_the_single_queue_tap_fails()
    {
        var v = Judge("single-queue", CheckProperties.SingleQueueNoState, t => t.Replace("### kmbsteer history\n",
            "### kmbsteer history\nstart t_ns=1\nattach t_ns=2 end_ns=3 queues=1 period_ms=200 threshold=20\n", StringComparison.Ordinal));
        v.Verdict.Should().Be(LabVerdicts.Fail);
        v.Message.Should().Contain("set its program or ran periods");
    }

    [Fact]
    public void A_detach_that_did_not_clear_the_program_makes_the_run_unjudgeable()
    {
        var (_, problem) = Observe("optin", t => t.Replace(" errno=0\n", " errno=9\n", StringComparison.Ordinal));
        problem.Should().Contain("did not clear its program");
    }

    [Fact]
    public void Datagrams_kmbsteers_helper_queue_took_while_it_attached_are_not_the_readers_loss()
    {
        // the last segment of flow 40001 one or two datagrams short, as if tun had queued them on the helper
        static string Lose(string t, int n) => t.Replace("seg flow=40001 slot=1 first_seq=304 last_seq=479 frames=176",
            $"seg flow=40001 slot=1 first_seq=304 last_seq=479 frames={176 - n}", StringComparison.Ordinal);
        static string Helper(string t, int n) =>
            System.Text.RegularExpressions.Regex.Replace(t, "^(attach .*threshold=20)$", $"$1 helper_frames={n}", System.Text.RegularExpressions.RegexOptions.Multiline);

        static IReadOnlyList<PropertyVerdict> Verdicts(Func<string, string> change)
        {
            var (o, problem) = Observe("optin", change);
            problem.Should().BeNull();
            return ScenarioAnalyzer.Judge(o);
        }

        Verdicts(t => Lose(t, 1)).Should().OnlyContain(v => v.Verdict == LabVerdicts.Error && v.Message.Contains("flow 40001: 479 of 480 datagrams read"));
        Verdicts(t => Helper(Lose(t, 1), 1)).Should().OnlyContain(v => v.Verdict == LabVerdicts.Pass,
            "kmbsteer read and counted the datagram its helper queue took");
        Verdicts(t => Helper(Lose(t, 2), 1)).Should().OnlyContain(v => v.Verdict == LabVerdicts.Error && v.Message.Contains("478 of 480") &&
                                                                  v.Message.Contains("kmbsteer's helper queue 1"));
        SteerHistory.Parse("attach t_ns=1 end_ns=2 queues=4 period_ms=200 threshold=20 helper_frames=3\n", "kq0").HelperFrames.Should().Be(3);
    }

    [Fact]
    public void Without_the_stock_tun_or_kmbsteer_the_run_is_not_judged()
    {
        Observe("spread4", t => t.Replace("balance_default=-", "balance_default=0", StringComparison.Ordinal))
            .Problem.Should().Contain("kernel's own tun.ko");
        Observe("spread4", t => t.Replace("period_ms=200 threshold=20", "period_ms=200 threshold=64", StringComparison.Ordinal))
            .Problem.Should().Contain("threshold 64, not 20");
    }

    [Fact]
    public void The_scenarios_ask_kmbsteer_not_the_module()
    {
        var spread = Scenario("spread4");
        spread.MqtapOptions.Should().NotContain("-B");
        spread.Environment["KMB_STEER"].Should().Be("200 20");
        spread.Environment.Should().NotContainKey("KMB_STEER_AT");
        CheckRun.Command(spread).Should().Contain("/opt/kmb/check-flows.sh kmbq0 - - ");

        var optin = Scenario("optin");
        optin.MqtapOptions.Should().NotContain("balance:");
        optin.Environment["KMB_STEER_AT"].Should().Be($"{CheckScenarios.OptInOnMs} {CheckScenarios.OptInOffMs}");

        Scenario("single-queue").Environment.Should().NotContainKey("KMB_BALANCE_DEFAULT");
        // the module's scenarios are unchanged
        var module = CheckScenarios.For(Policy.Dynamic).Single(s => s.Name == "optin");
        module.MqtapOptions.Should().Contain("-e balance:1@800");
        module.Environment.Should().NotContainKey("KMB_STEER");
        CheckRun.Command(CheckScenarios.For(Policy.Dynamic).Single(s => s.Name == "spread4")).Should().Contain("check-flows.sh kmbq0 200 20 ");
    }

    [Fact]
    public void The_history_becomes_the_samples_and_switches_the_judge_reads()
    {
        const string text = """
            start t_ns=1000000
            attach t_ns=2000000 end_ns=2500000 queues=4 period_ms=200 threshold=20
            remap t_ns=202000000 end_ns=203000000 | device kq0 policy dynamic backend ebpf queues 4 flows 2 migrations 1 periods 1 counted 80 | queue 0 load 40 flows 1 | queue 1 load 40 flows 1 | queue 2 load 0 flows 0 | queue 3 load 0 flows 0
            resize t_ns=300000000 end_ns=300100000 from=4 to=3
            detach t_ns=400000000 end_ns=400200000 errno=0
            end reason=detach-after
            """;
        var h = SteerHistory.Parse(text, "kq0");
        h.Attached.Should().BeTrue();
        (h.PeriodMs, h.Threshold, h.DetachErrno, h.EndReason).Should().Be((200L, 20L, 0, "detach-after"));
        h.Resizes.Should().ContainSingle().Which.Should().Be((300000000L, 300100000L, 4, 3));

        // anchored at 1 ms: microseconds after it, as mqtap's rel_us
        var samples = SteerObservation.Samples(h, 1_000_000, switches: true);
        samples.Select(x => (x.TimeUs, x.PrevUs, x.Stats.Off, x.Stats.Balancers, x.Stats.Requested)).Should().Equal(
            (0L, (long?)0L, true, (long?)0L, (int?)0),
            (202_000L, 201_000L, false, 1L, 1),
            (399_201L, 399_000L, true, 0L, 0));
        samples[1].Stats.Migrations.Should().Be(1);
        samples[1].Stats.Counted.Should().Be(80);
        SteerObservation.Samples(h, 1_000_000, switches: false).Should().ContainSingle("only while it steers, as mqtap samples a module's tap");

        var toggles = SteerObservation.Toggles(h, new SteerRun(0, "", "", text, ""), Scenario("optin"), 1_000_000);
        toggles.Select(x => (x.Value, x.BeginUs, x.EndUs, x.Read, x.ReturnCode)).Should().Equal((1, 1_000L, 1_500L, 1, 0), (0, 399_000L, 399_200L, 0, 0));

        FluentActions.Invoking(() => SteerHistory.Parse("remap t_ns=1 end_ns=2\n", "kq0")).Should().Throw<FormatException>();
        FluentActions.Invoking(() => SteerHistory.Parse("bogus\n", "kq0")).Should().Throw<FormatException>().WithMessage("*unexpected line*");
    }

    [Fact]
    public void The_untracked_queue_is_the_programs_own_hash_scaled_to_the_queues()
    {
        var queues = Enumerable.Range(40001, 64).Select(p => SteerObservation.UntrackedQueue(p, 4)).ToList();
        queues.Should().OnlyContain(q => q >= 0 && q < 4);
        queues.Distinct().Should().HaveCount(4, "64 ports spread over every queue");
        SteerObservation.UntrackedQueue(40001, 1).Should().Be(0);
    }
}
