using System.Diagnostics;
using FluentAssertions;
using KmodBalance.Generator.Source;
using KmodBalance.Tests.Support;

namespace KmodBalance.Tests.Safety;

/// <summary>What a kmb killed with SIGKILL (no cleanup possible) leaves: nothing in the temp dir, no
/// decompressor running on as an orphan, and a staging directory beside --out that the next kmb
/// writing there removes. The real Debian tarball is read, so the kill lands mid-read.</summary>
public class KilledRunLeftoverTests
{
    [Fact]
    public async Task Sigkill_while_the_tarball_is_read_leaves_no_temp_file_or_orphan_and_the_next_run_removes_the_staging()
    {
        using var temp = new TempDir();
        var tmp = Directory.CreateDirectory(temp.Combine("tmp")).FullName;
        var outDir = temp.Combine("out", "dyn");
        var tarball = TunSourceLocator.FindInstalledTarball();
        var start = new ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true, Environment = { ["TMPDIR"] = tmp } };
        foreach (var a in new[] { Kmb.Dll, "generate", "--kernel-source", tarball, "--out", outDir })
            start.ArgumentList.Add(a);
        using var kmb = Process.Start(start)!;
        int decompressor;
        try
        {
            decompressor = await ChildAsync(kmb.Id, "xz");
            kmb.Kill(); // SIGKILL: kmb runs no cleanup at all
            await kmb.WaitForExitAsync();
        }
        finally
        {
            if (!kmb.HasExited) kmb.Kill();
        }

        // xz writes into a pipe nobody reads any more: SIGPIPE ends it.
        for (var i = 0; i < 100 && Running(decompressor); i++) await Task.Delay(100);
        Running(decompressor).Should().BeFalse("the decompressor must not outlive a killed kmb");
        // kmb-*: the .NET runtime's own diagnostic pipes (clr-debug-pipe-*, dotnet-diagnostic-*) also stay after a SIGKILL.
        Directory.GetFileSystemEntries(tmp, "kmb-*").Should().BeEmpty("nothing is extracted to a temp directory");
        var staging = Directory.GetDirectories(temp.Combine("out"), ".dyn.kmb-staging-*");
        staging.Should().NotBeEmpty("the killed run had made its staging directory before reading");

        var next = await Kmb.RunAsync("generate", "--tun-c", Fixtures.TunC("linux-5.10"), "--out", temp.Combine("out", "other"));

        next.ExitCode.Should().Be(0, next.StandardError);
        Directory.GetDirectories(temp.Combine("out"), ".*kmb-staging-*").Should().BeEmpty("the next run in that parent removed it");
    }

    /// <summary>Waits for a child process named <paramref name="name"/> of <paramref name="parent"/>.</summary>
    private static async Task<int> ChildAsync(int parent, string name)
    {
        for (var i = 0; i < 600; i++)
        {
            foreach (var dir in Directory.EnumerateDirectories("/proc"))
            {
                if (!int.TryParse(Path.GetFileName(dir), out var pid)) continue;
                try
                {
                    var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                    var comm = stat[(stat.IndexOf('(') + 1)..stat.LastIndexOf(')')];
                    var ppid = int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1]);
                    if (ppid == parent && comm == name) return pid;
                }
                catch (IOException) { }
            }
            await Task.Delay(100);
        }
        throw new TimeoutException($"no {name} child of {parent} within 60 s");
    }

    private static bool Running(int p)
    {
        try { return !File.ReadAllText($"/proc/{p}/stat").Split(')')[^1].TrimStart().StartsWith('Z'); }
        catch (IOException) { return false; }
    }
}
