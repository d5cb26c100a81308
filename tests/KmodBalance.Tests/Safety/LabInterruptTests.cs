using System.Diagnostics;
using System.Runtime.InteropServices;
using FluentAssertions;
using KmodBalance.Generator.Output;
using KmodBalance.Harness.Network;
using KmodBalance.Tests.Support;

namespace KmodBalance.Tests.Safety;

/// <summary>The README's promise: Ctrl-C (SIGINT) or SIGTERM during a lab run leaves nothing behind. The
/// real lab boots L1 (QEMU, TCG) in the run's netns; the signal is sent while L1 boots L2, the slowest
/// step, when every resource of the run exists.</summary>
[Trait("Category", "Lab")]
public class LabInterruptTests
{
    private static readonly TimeSpan UntilL2Boots = TimeSpan.FromMinutes(8), AfterSignal = TimeSpan.FromMinutes(2);
    private const int SIGINT = 2;

    [Fact]
    public async Task Sigint_while_l2_boots_leaves_no_netns_qemu_run_dir_or_temp_file()
    {
        using var temp = new TempDir();
        // A temp dir of the run's own: whatever kmb leaves in it is the run's.
        var tmp = Directory.CreateDirectory(temp.Combine("tmp")).FullName;
        // env --default-signal=INT: a test run started in the background (`dotnet test ... &` from a script)
        // inherits SIGINT ignored, as POSIX shells make it for background jobs, and kmb rightly keeps it so.
        var start = new ProcessStartInfo("env")
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            Environment = { ["TMPDIR"] = tmp },
        };
        foreach (var a in new[] { "--default-signal=INT", "dotnet", Kmb.Dll, "lab", "run", "--policy", "dynamic", "--duration", "5", "--report", temp.Combine("report") })
            start.ArgumentList.Add(a);
        using var kmb = Process.Start(start)!;
        var pid = kmb.Id;
        var stderr = new System.Text.StringBuilder();
        var l2Booting = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        kmb.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (stderr) stderr.AppendLine(e.Data);
            if (e.Data.Contains("[boot-l2] ...", StringComparison.Ordinal)) l2Booting.TrySetResult();
        };
        var stdout = kmb.StandardOutput.ReadToEndAsync();
        kmb.BeginErrorReadLine();

        List<int> qemus;
        try
        {
            await l2Booting.Task.WaitAsync(UntilL2Boots);
            qemus = QemuOf(pid);
            qemus.Should().NotBeEmpty("L1 runs in the run's netns while L2 boots: " + Text(stderr));
            kill(pid, SIGINT).Should().Be(0);
            await kmb.WaitForExitAsync().WaitAsync(AfterSignal);
        }
        finally
        {
            if (!kmb.HasExited) kmb.Kill(entireProcessTree: true);
        }
        await stdout;
        var log = Text(stderr);

        kmb.ExitCode.Should().Be(130, log);
        log.Should().Contain($"cleanup: deleted netns {Netns.NameFor(pid)}").And.Contain("cleanup: killed L1 QEMU")
            .And.Contain($"cleanup: removed temp dir");
        (await Processes.RunAsync("ip", ["netns", "list"])).StandardOutput.Should().NotContain(Netns.NameFor(pid));
        qemus.Where(Running).Should().BeEmpty("no QEMU of the run survives it");
        Directory.Exists(Path.Combine(StateDirectory.DefaultPath, "runs", pid.ToString())).Should().BeFalse(log);
        Directory.GetFileSystemEntries(tmp).Should().BeEmpty("the run's temp files are gone");
    }

    /// <summary>QEMU processes started for the run: they run in its netns (`ip netns exec kmb-lab-PID`).</summary>
    private static List<int> QemuOf(int pid)
    {
        var found = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var p)) continue;
            try
            {
                var cmdline = File.ReadAllText(Path.Combine(dir, "cmdline")).Replace('\0', ' ');
                if (cmdline.Contains("qemu-system", StringComparison.Ordinal) && IsInNetns(p, Netns.NameFor(pid))) found.Add(p);
            }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
        return found;
    }

    /// <summary>Alive and not a zombie waiting for its parent.</summary>
    private static bool Running(int p)
    {
        try { return !File.ReadAllText($"/proc/{p}/stat").Split(')')[^1].TrimStart().StartsWith('Z'); }
        catch (IOException) { return false; }
    }

    /// <summary>Whether process <paramref name="p"/> lives in <paramref name="netns"/>: same namespace inode.</summary>
    private static bool IsInNetns(int p, string netns)
    {
        var named = new FileInfo($"/var/run/netns/{netns}");
        return named.Exists && Inode($"/proc/{p}/ns/net") == Inode(named.FullName);
    }

    private static string Inode(string path) =>
        Processes.RunAsync("stat", ["-L", "-c", "%d:%i", path]).GetAwaiter().GetResult().StandardOutput.Trim();

    private static string Text(System.Text.StringBuilder sb) { lock (sb) return sb.ToString(); }

    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int signal);
}
