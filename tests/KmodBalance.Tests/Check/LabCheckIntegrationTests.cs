using System.Xml.Linq;
using CliWrap.Buffered;
using CliWrap;
using FluentAssertions;
using KmodBalance.Harness.Check;
using KmodBalance.Harness.Measurement;
using KmodBalance.Harness.Reporting;
using KmodBalance.Tests.Lab;
using KmodBalance.Tests.Support;
using Xunit.Abstractions;

namespace KmodBalance.Tests.Check;

/// <summary>`kmb lab check` end to end for both policies, as CI runs it on every submission (about 60-80 s
/// each on a 2-core TCG runner: module build, L1 boot, scenarios; the opt-in scenarios optin, flood,
/// single-queue and netpoll add about 12 s for hash and 20 s for dynamic). Needs root and the packages of
/// setup/install-deps.sh; run with --filter Category=Lab (in the serial lab collection).</summary>
[Trait("Category", "Lab")]
[Collection(LabCollection.Name)]
public sealed class LabCheckIntegrationTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData("hash", new[] { "sticky", "requeue", "optin", "single-queue", "netpoll" })]
    [InlineData("dynamic", new[] { "spread4", "converge", "requeue", "optin", "flood", "single-queue", "netpoll" })]
    [InlineData("adaptive", new[] { "guest-queue", "split", "requeue", "single-queue", "netpoll" })]
    public async Task Every_property_of_the_policy_holds_and_the_lab_is_left_clean(string policy, string[] scenarios)
    {
        var reportDir = _dir.Combine(policy);
        // The predictions come from what the kernel's samples show (ScenarioAnalyzer.Samples) and the time
        // bounds from the senders' measured lateness, so a run on this loaded runner needs no second try:
        // neither a failed property (exit 1) nor an error (exit 2) is run again. Only an L1 boot that failed
        // before tun.ko was loaded is booted again by kmb itself, printed as RETRIED and kept in the report.
        var run = await Check(policy, reportDir);

        var report = CheckReport.Json.Deserialize(await File.ReadAllTextAsync(Path.Combine(reportDir, "report.json")));
        run.ExitCode.Should().Be(0, string.Join("\n", report.Properties.Where(p => p.Verdict != LabVerdicts.Pass).Select(p => $"{p.Scenario}/{p.Property}: {p.Message}")));
        run.StandardOutput.Should().Contain($"CHECK PASS policy={policy}");
        report.Verdict.Should().Be(LabVerdicts.Pass);
        report.Balancing.Should().StartWith("on per tap");
        report.Error.Should().BeNull();
        report.Scenarios.Select(s => s.Name).Should().Equal(scenarios);
        var expected = CheckScenarios.For(PolicyNames.Parse(policy)).SelectMany(s => s.Properties.Select(p => (s.Name, p))).Append(("l1", CheckReport.ConsoleProperty));
        report.Properties.Select(p => (p.Scenario, p.Property)).Should().Equal(expected);
        report.Properties.Should().OnlyContain(p => p.Verdict == LabVerdicts.Pass);
        var queues = CheckScenarios.For(PolicyNames.Parse(policy)).ToDictionary(s => s.Name, s => s.Queues);
        foreach (var s in report.Scenarios)
        {
            s.Mqtap.Should().NotBeNull();
            s.Mqtap!.Buckets.Should().NotBeEmpty();
            s.Dmesg.Should().NotBeNull("the kernel log of L1 is read for every scenario");
            File.Exists(Path.Combine(reportDir, "raw", s.Name + ".txt")).Should().BeTrue();
            s.Balancing.Should().NotBeNullOrEmpty("the report says how the scenario turned balancing on");
            s.Mqtap.Stats.Should().NotBeEmpty("mqtap samples the balance attribute and /sys/kernel/debug/tun_balance");
            if (s.Name == "single-queue")
                s.Mqtap.Stats.Should().OnlyContain(x => x.Stats.Off, "a single-queue tap never gets state");
            else
                s.Mqtap.Stats.Should().Contain(x => !x.Stats.Off && x.Stats.Policy == policy && (policy == "hash" || x.Stats.Queues.Count == queues[s.Name]),
                    "the tap balanced with the policy's state");
        }
        XDocument.Load(Path.Combine(reportDir, "junit.xml")).Descendants("testcase").Should().HaveCount(report.Properties.Count);
        File.Exists(Path.Combine(reportDir, "summary.md")).Should().BeTrue();
        File.ReadAllText(Path.Combine(reportDir, "consoles", "l1.log")).Should().Contain("KMB-READY");

        // Nothing left behind: the run's netns and its QEMU are gone.
        await LabLeftovers.AssertNoneAsync(run.StandardError);
    }

    private async Task<BufferedCommandResult> Check(string policy, string reportDir)
    {
        var run = await Processes.KmbAsync("lab", "check", "--policy", policy, "--report", reportDir);
        output.WriteLine(run.StandardOutput);
        output.WriteLine(run.StandardError);
        return run;
    }
}
