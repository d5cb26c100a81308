using CliWrap;
using CliWrap.Buffered;
using FluentAssertions;
using KmodBalance.Harness.Images;
using KmodBalance.Harness.Lab;
using Xunit;
using Xunit.Abstractions;

namespace KmodBalance.Tests.Lab;

/// <summary>Boots the real nested lab (about 1 minute on a 2-core TCG runner; needs root and the
/// packages of setup/install-deps.sh). Run alone: dotnet test --filter Category=Lab;
/// skip elsewhere: --filter Category!=Lab.</summary>
[Trait("Category", "Lab")]
public sealed class NestedLabIntegrationTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("kmb-labtest-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    /// <summary>Debian's own 6.1 tun.c, built out of tree against the installed headers.</summary>
    private async Task<string> BuildStockTunAsync(KernelInfo kernel)
    {
        var mod = Directory.CreateDirectory(Path.Combine(_dir, "module")).FullName;
        await CliWrap.Cli.Wrap("sh").WithArguments(["-c",
                "tar -xJOf /usr/src/linux-source-6.1.tar.xz linux-source-6.1/drivers/net/tun.c > tun.c && echo 'obj-m := tun.o' > Makefile"])
            .WithWorkingDirectory(mod).ExecuteBufferedAsync();
        var make = await CliWrap.Cli.Wrap("make").WithArguments(["-s", "-C", kernel.BuildDir, $"M={mod}", "modules"])
            .WithValidation(CommandResultValidation.None).ExecuteBufferedAsync();
        make.ExitCode.Should().Be(0, make.StandardError);
        return mod;
    }

    [Fact]
    public async Task Stock_tun_in_the_nested_lab_spreads_four_flows_and_leaves_nothing_behind()
    {
        var kernel = KernelInfo.Discover();
        var module = await BuildStockTunAsync(kernel);
        var report = Path.Combine(_dir, "report");
        var progress = new SyncProgress(output.WriteLine);
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(10));

        var outcome = await new LabRun(new LabOptions { ModuleDir = module, Policy = "stock", ReportDir = report, DurationSeconds = 5 }, progress)
            .RunAsync(cts.Token);

        outcome.Error.Should().BeNull();
        outcome.ExitCode.Should().BeOneOf(0, 1); // a verdict, not a setup error; stock spread is not guaranteed
        outcome.Report!.Queues.Should().HaveCount(4).And.OnlyContain(q => q.RxPackets > 0 && q.HostPackets > 0);
        outcome.Report.FlowResults.Should().HaveCount(4).And.OnlyContain(f => f.Mbps > 0);
        foreach (var f in new[] { "report.json", "junit.xml", "summary.md", "consoles/l1.log", "consoles/l2.log" })
            File.Exists(Path.Combine(report, f)).Should().BeTrue(f);

        var netns = await CliWrap.Cli.Wrap("ip").WithArguments(["netns", "list"]).ExecuteBufferedAsync();
        netns.StandardOutput.Should().NotContain($"kmb-lab-{Environment.ProcessId}");
        var qemu = await CliWrap.Cli.Wrap("pgrep").WithArguments(["-f", "qemu-system-x86_64 -name kmb-l1"])
            .WithValidation(CommandResultValidation.None).ExecuteBufferedAsync();
        qemu.StandardOutput.Should().BeEmpty();
    }

    private sealed class SyncProgress(Action<string> write) : IProgress<string>
    {
        public void Report(string value) { lock (this) write(value); }
    }
}
