using System.Xml.Linq;
using FluentAssertions;
using KmodBalance.Harness.Check;
using KmodBalance.Harness.Images;
using KmodBalance.Harness.Reporting;
using KmodBalance.Tests.Support;

namespace KmodBalance.Tests.Check;

public sealed class CheckReportTests
{
    private static CheckReport Sample(string? error = null)
    {
        var spread4 = CheckScenarios.For(Policy.Dynamic)[0];
        var o = ScenarioAnalyzerTests.Observe("l1_dynamic_spread4.txt", spread4);
        var properties = ScenarioAnalyzer.Judge(o).ToList();
        properties.Add(new PropertyVerdict("converge", CheckProperties.ConvergesWithinThreshold, LabVerdicts.Fail, "loads apart", ["x 1", "x 2"]));
        properties.Add(new PropertyVerdict("requeue", CheckProperties.QueueChangeSafe, LabVerdicts.Error, "mqtap exited 1", []));
        var scenario = new ScenarioReport(spread4.Name, spread4.Description, spread4.Queues, spread4.PeriodMs, spread4.Threshold,
            spread4.Flows, spread4.Events, 2.9, o.Sent, o.Seen, o.Dmesg, null);
        return new CheckReport(CheckReport.Combine(properties, error), "dynamic", "l1=tcg", properties, [scenario],
            [new StepTiming("boot-l1", 5.7), new StepTiming("scenario spread4", 2.9)], 32.4, error, new Dictionary<string, string> { ["kernel"] = "6.1.0-56-cloud-amd64" });
    }

    [Fact]
    public void A_failed_property_outweighs_errors_and_an_error_outweighs_passes()
    {
        var pass = new PropertyVerdict("s", "p", LabVerdicts.Pass, "", []);
        var fail = pass with { Verdict = LabVerdicts.Fail };
        var error = pass with { Verdict = LabVerdicts.Error };
        CheckReport.Combine([pass, pass], null).Should().Be(LabVerdicts.Pass);
        CheckReport.Combine([pass, error], null).Should().Be(LabVerdicts.Error);
        CheckReport.Combine([error, fail], null).Should().Be(LabVerdicts.Fail);
        CheckReport.Combine([pass], "[boot-l1] timed out").Should().Be(LabVerdicts.Error);
        CheckReport.Combine([], null).Should().Be(LabVerdicts.Error, "nothing was shown");
        Sample().ExitCode.Should().Be(1);
    }

    [Fact]
    public void Report_json_round_trips_with_the_raw_counts_and_balance_stats()
    {
        var report = Sample();
        var json = CheckReport.Json.Serialize(report);
        json.Should().Contain("\"verdict\": \"fail\"");
        json.Should().Contain("\"role\": \"Decoy\"").And.Contain("\"framesPerSlot\"").And.Contain("\"migrations\": 2");

        var back = CheckReport.Json.Deserialize(json);
        back.Properties.Should().HaveCount(report.Properties.Count);
        back.Scenarios[0].Mqtap!.Buckets.Should().HaveCount(report.Scenarios[0].Mqtap!.Buckets.Count);
        back.Scenarios[0].Mqtap!.Stats[^1].Stats.Queues.Select(q => q.Load).Should().Equal(report.Scenarios[0].Mqtap!.Stats[^1].Stats.Queues.Select(q => q.Load));
        back.Scenarios[0].Flows[4].Should().Be(new FlowPlan(40001, 500, 600, 600));
    }

    [Fact]
    public void Junit_has_one_testcase_per_property_with_failures_and_errors()
    {
        var report = Sample();
        var doc = XDocument.Parse(CheckJunit.Render(report));
        var cases = doc.Descendants("testcase").ToList();
        cases.Should().HaveCount(report.Properties.Count);
        cases.Select(c => (string)c.Attribute("name")!).Should().Contain(CheckProperties.OnePerQueueWithinTwoPeriods);
        cases.Single(c => (string)c.Attribute("name")! == CheckProperties.ConvergesWithinThreshold).Element("failure")!.Attribute("message")!.Value.Should().Be("loads apart");
        cases.Single(c => (string)c.Attribute("name")! == CheckProperties.QueueChangeSafe).Element("error").Should().NotBeNull();
        cases.First().Attribute("classname")!.Value.Should().Be("kmb-lab-check.dynamic.spread4");
        var suite = doc.Descendants("testsuite").Single();
        ((int)suite.Attribute("failures")!, (int)suite.Attribute("errors")!).Should().Be((1, 1));
    }

    [Fact]
    public void A_setup_error_is_a_junit_error_testcase()
    {
        var doc = XDocument.Parse(CheckJunit.Render(Sample("[boot-l1] no KMB-READY within 180 s") with { Properties = [] }));
        var c = doc.Descendants("testcase").Single();
        c.Attribute("name")!.Value.Should().Be("setup");
        c.Element("error")!.Attribute("message")!.Value.Should().Be("[boot-l1] no KMB-READY within 180 s");
    }

    [Fact]
    public void Summary_lists_properties_and_each_flows_queues()
    {
        var md = CheckSummaryMarkdown.Render(Sample());
        md.Should().StartWith("# KmodBalance deterministic check (dynamic): FAIL");
        md.Should().Contain($"| spread4 | {CheckProperties.OnePerQueueWithinTwoPeriods} | **pass** |");
        md.Should().Contain("| 40003 | test | 200 | 600 | 240 | q0 #0-19");
        md.Should().Contain("tun_balance: 16 samples (16 with the tap's block); last with it: policy dynamic, flows 0, migrations 2, periods 15");
    }

    [Fact]
    public void The_report_directory_is_written_whole_and_replaces_an_old_one()
    {
        using var tmp = new TempDir();
        var dir = tmp.Combine("check");
        CheckReportWriter.Write(dir, Sample(), new Dictionary<string, string> { ["raw/old.txt"] = "old" });
        CheckReportWriter.Write(dir, Sample(), new Dictionary<string, string> { ["raw/spread4.txt"] = "raw", ["consoles/l1.log"] = "console" });
        Directory.GetFiles(dir, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(dir, f)).Order()
            .Should().Equal("consoles/l1.log", "junit.xml", "raw/spread4.txt", "report.json", "summary.md");
        FluentActions.Invoking(() => CheckReportWriter.Write(dir, Sample(), new Dictionary<string, string> { ["../escape.txt"] = "x" }))
            .Should().Throw<ArgumentException>();
        File.Exists(Path.Combine(dir, "report.json")).Should().BeTrue("a failed write leaves the old report");
        File.WriteAllText(Path.Combine(dir, "notes.txt"), "mine");
        FluentActions.Invoking(() => CheckReportWriter.Write(dir, Sample(), new Dictionary<string, string>()))
            .Should().Throw<KmodBalance.Generator.KmbException>().WithMessage("*did not write (notes.txt)*");
        File.ReadAllText(Path.Combine(dir, "notes.txt")).Should().Be("mine");
    }

    [Fact]
    public void The_tunables_are_reported_with_what_each_scenario_set_at_run_time()
    {
        var spread4 = CheckScenarios.For(Policy.Dynamic)[0];
        var sample = Sample();
        var report = sample with
        {
            Tunables = new Tunables(Threshold: 32),
            Scenarios = [sample.Scenarios[0] with { TunablesSet = ScenarioTunables.Describe(spread4, new Tunables(Threshold: 32)) }],
        };

        var md = CheckSummaryMarkdown.Render(report);
        md.Should().Contain("tunables: balance_threshold 32 packets per period, balance_period_ms 200");
        md.Should().Contain("tunables: set at run time to balance_threshold 20").And.Contain("replaces the module's balance_threshold 32");
        CheckReport.Json.Deserialize(CheckReport.Json.Serialize(report)).Tunables.Should().Be(new Tunables(32, 200));
    }
}

public sealed class CheckScenarioTests
{
    [Fact]
    public void Hash_and_dynamic_are_checked_with_their_scenarios_and_the_opt_in_ones()
    {
        CheckScenarios.For(Policy.Hash).Select(s => s.Name).Should().Equal("sticky", "requeue", "optin", "single-queue", "netpoll");
        CheckScenarios.For(Policy.Dynamic).Select(s => s.Name).Should().Equal("spread4", "converge", "requeue", "optin", "flood", "single-queue", "netpoll");
        CheckScenarios.For(Policy.Hash).SelectMany(s => s.Properties).Should().Equal(CheckProperties.OneQueuePerFlow, CheckProperties.QueueChangeSafe,
            CheckProperties.OffSteersAsStock, CheckProperties.OnUnderTrafficBalances, CheckProperties.OffAgainFreesState,
            CheckProperties.SingleQueueNoState, CheckProperties.NetpollSafe);
        CheckScenarios.For(Policy.Dynamic).SelectMany(s => s.Properties).Distinct().Should().BeEquivalentTo(
            [CheckProperties.OnePerQueueWithinTwoPeriods, CheckProperties.LoneFlowNeverMoved, CheckProperties.ConvergesWithinThreshold, CheckProperties.QueueChangeSafe,
             CheckProperties.OffSteersAsStock, CheckProperties.OnUnderTrafficBalances, CheckProperties.OffAgainFreesState,
             CheckProperties.FloodFlowsEndOnePerQueue, CheckProperties.FloodEveryPacketCounted, CheckProperties.SingleQueueNoState, CheckProperties.NetpollSafe]);
        CheckScenarios.For(Policy.Dynamic).Concat(CheckScenarios.For(Policy.Hash)).Where(s => s.Name != "optin").Should().OnlyContain(s => s.Balance, "the check turns balancing on itself");
        CheckScenarios.For(Policy.Hash).Should().OnlyContain(s => s.Policy == Policy.Hash);
        FluentActions.Invoking(() => CheckScenarios.For(Policy.Stock)).Should().Throw<ArgumentException>();
    }

    [Fact]
    public void Every_scenario_has_distinct_ports_continuous_flows_and_fits_the_time_budget()
    {
        foreach (var s in CheckScenarios.For(Policy.Hash).Concat(CheckScenarios.For(Policy.Dynamic)))
        {
            s.Flows.Select(f => f.Port).Should().OnlyHaveUniqueItems(s.Name);
            s.Flows.Should().OnlyContain(f => f.Pps >= 100, "flows must be continuous at the period's scale (gaps <= 10 ms)");
            if (s.Flood is null) s.Flows.Max(f => f.EndMs).Should().BeLessThan(3000, s.Name);
            else s.TrafficSeconds.Should().BeLessThanOrEqualTo(40, "the flood is bounded in time");
            s.Flows.GroupBy(f => f.Role).Max(g => g.Sum(f => f.Pps)).Should().BeLessThanOrEqualTo(2000, "L1 runs on TCG (decoys end before the test flows start)");
        }
    }

    [Fact]
    public void The_l1_command_passes_parameters_mqtap_options_and_flows()
    {
        var requeue = CheckScenarios.Requeue(dynamic: true);
        CheckRun.Command(requeue).Should().Be(
            "KMB_MAX_S='5' KMB_UDPFLOWS_OPTS='-P' /opt/kmb/check-flows.sh kmbq0 200 20 '-q 4 -b 50 -i 400 -S 5 -B 1 -e detach:1@600 -e detach:2@1000 -e attach:1@1400 -e attach:2@1800' " +
            "40001:250:0:600 40002:250:0:600 40003:250:0:600 40004:250:0:600 40005:250:0:600 40006:250:0:600");
        CheckRun.Command(CheckScenarios.Sticky).Should().StartWith("KMB_MAX_S='4' /opt/kmb/check-flows.sh kmbq0 - - '-q 4 -b 50 -i 400 -S 5 -B 1' 40001:250:0:300 ");
    }

    [Fact]
    public void Options_refuse_other_policies_and_unknown_scenarios()
    {
        new CheckOptions { Policy = Policy.Hash }.Validate().Should().BeEmpty();
        new CheckOptions { Policy = Policy.Stock }.Validate().Should().ContainSingle().Which.Should().Contain("hash, dynamic or adaptive");
        new CheckOptions { Policy = Policy.Hash, Scenarios = ["spread4"] }.Validate().Should().ContainSingle().Which.Should().Contain("sticky, requeue");
        new CheckOptions { Policy = Policy.Dynamic, Scenarios = ["spread4"], ReportDir = " " }.Validate().Should().ContainSingle();
        new CheckOptions { Policy = Policy.Hash, Scenarios = ["stress"] }.Validate().Should().BeEmpty("every policy has the stress");
    }

    [Fact]
    public void Lab_tools_cache_key_follows_the_sources_and_the_compiler()
    {
        using var tmp = new TempDir();
        File.WriteAllText(tmp.Combine("a.c"), "int main(void) { return 0; }\n");
        File.WriteAllText(tmp.Combine("README.md"), "x");
        var key = LabTools.CacheKey(tmp.Path, "gcc 12.2.0");
        LabTools.CacheKey(tmp.Path, "gcc 12.2.0").Should().Be(key);
        File.WriteAllText(tmp.Combine("README.md"), "docs only");
        LabTools.CacheKey(tmp.Path, "gcc 12.2.0").Should().Be(key, "only *.c and *.h are compiled");
        LabTools.CacheKey(tmp.Path, "gcc 13.1.0").Should().NotBe(key);
        File.WriteAllText(tmp.Combine("kmbflow.h"), "#define X 1\n");
        LabTools.CacheKey(tmp.Path, "gcc 12.2.0").Should().NotBe(key);
    }
}
