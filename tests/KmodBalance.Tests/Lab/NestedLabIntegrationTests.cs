using CliWrap;
using CliWrap.Buffered;
using FluentAssertions;
using KmodBalance.Harness.Lab;
using Xunit;
using Xunit.Abstractions;

namespace KmodBalance.Tests.Lab;

/// <summary>Boots the real nested lab (about 1 minute on a 2-core TCG runner; needs root and the
/// packages of setup/install-deps.sh). Run alone: dotnet test --filter Category=Lab;
/// skip elsewhere: --filter Category!=Lab.</summary>
[Trait("Category", "Lab")]
[Collection(LabCollection.Name)]
public sealed class NestedLabIntegrationTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("kmb-labtest-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    [Fact]
    public async Task The_dynamic_module_balances_four_flows_over_four_queues_end_to_end_and_leaves_nothing_behind()
    {
        var report = Path.Combine(_dir, "report");
        var lines = new List<string>();
        var progress = new SyncProgress(line => { output.WriteLine(line); lines.Add(line); });
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(20));
        var options = new LabOptions { Policy = Policy.Dynamic, ReportDir = report, DurationSeconds = 5 };

        // A lab error (nested boots on TCG die now and then: README "Nested runs") is LabRun's to boot
        // again, up to NestedTrial.Boots fresh boots, each printed as a RETRIED line that CI counts.
        var outcome = await new LabRun(options, progress).RunAsync(cts.Token);

        outcome.Error.Should().BeNull();
        // The >= 10% verdict for the thesis's dynamic over TCP is a statistic of the algorithm
        // on nested TCG (it failed about 1 run in 4-5 here, README "Why adaptive"), so one run
        // cannot gate on it; lab compare measures it over trials. What one run must show: a
        // verdict was reached (0 or 1, never a lab error), balancing was on, and every queue
        // carried the guest's traffic.
        output.WriteLine($"verdict exit {outcome.ExitCode}: {string.Join("; ", outcome.Report?.Reasons ?? [])}");
        outcome.ExitCode.Should().BeOneOf(0, 1);
        outcome.Report!.Queues.Should().HaveCount(4).And.OnlyContain(q => q.RxPackets > 0 && q.HostPackets > 0 && q.Interrupts > 0);
        lines.Should().Contain(l => l.Contains("balancing: on", StringComparison.Ordinal));
        outcome.Report.FlowResults.Should().HaveCount(4).And.OnlyContain(f => f.Mbps > 0);
        foreach (var f in new[] { "report.json", "junit.xml", "summary.md", "queue-shares.png", "consoles/l1.log", "consoles/l2.log" })
            File.Exists(Path.Combine(report, f)).Should().BeTrue(f);
        var bootsRetried = outcome.Report.Steps.Count(s => s.Step.StartsWith("nested boot ", StringComparison.Ordinal));
        for (var boot = 1; boot <= bootsRetried; boot++)
        {
            var l1Console = Path.Combine(report, "consoles", $"boot{boot}-l1.log");
            File.Exists(l1Console).Should().BeTrue($"nested boot {boot} failed: its L1 console is kept");
            var text = await File.ReadAllTextAsync(l1Console);
            output.WriteLine($"==> L1 console of failed nested boot {boot} (tail)\n{(text.Length <= 4000 ? text : text[^4000..])}");
        }

        var netns = await CliWrap.Cli.Wrap("ip").WithArguments(["netns", "list"]).ExecuteBufferedAsync();
        netns.StandardOutput.Should().NotContain($"kmb-lab-{Environment.ProcessId}");
        // Only this run's QEMU: other lab runs may share the host.
        var killed = lines.Select(l => System.Text.RegularExpressions.Regex.Match(l, @"killed L1 QEMU \(pid (\d+)\)"))
            .Where(m => m.Success).Select(m => m.Groups[1].Value).ToList();
        killed.Should().NotBeEmpty();
        killed.Should().OnlyContain(pid => !Directory.Exists($"/proc/{pid}"));
    }

    private sealed class SyncProgress(Action<string> write) : IProgress<string>
    {
        public void Report(string value) { lock (this) write(value); }
    }
}
