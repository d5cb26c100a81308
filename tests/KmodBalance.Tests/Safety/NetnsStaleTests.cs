using System.Diagnostics;
using FluentAssertions;
using KmodBalance.Harness.Network;
using KmodBalance.Tests.Support;

namespace KmodBalance.Tests.Safety;

/// <summary>A lab netns is removed as stale only when no live process holds its lock, whatever PID
/// namespace the run is in: a kmb-lab-PID whose PID is not visible here may be a live run in a
/// container. The owning run is played by flock(1) in a PID namespace of its own (unshare).</summary>
public class NetnsStaleTests
{
    private static async Task<bool> NetnsExistsAsync(string name) =>
        (await Processes.RunAsync("ip", ["netns", "list"])).StandardOutput.Split('\n').Any(l => l.Split(' ')[0] == name);

    /// <summary>A PID no process here has (above the default pid_max of 4194304 would be refused by nothing, but stay below it).</summary>
    private static string UnusedName()
    {
        var pid = Random.Shared.Next(4_000_000, 4_190_000);
        while (Directory.Exists($"/proc/{pid}")) pid++;
        return Netns.NameFor(pid);
    }

    [Fact]
    public async Task A_netns_whose_run_lives_in_another_pid_namespace_is_kept_and_removed_once_that_run_is_gone()
    {
        var name = UnusedName();
        (await Processes.RunAsync("ip", ["netns", "add", name])).ExitCode.Should().Be(0);
        Directory.CreateDirectory(NetnsLock.Directory);
        using var owner = Process.Start(new ProcessStartInfo("unshare",
            ["--pid", "--fork", "flock", "--nonblock", NetnsLock.PathFor(name), "sleep", "120"]))!;
        try
        {
            await WaitUntilAsync(() => HeldBySomeone(name));

            var whileAlive = await Netns.RemoveStaleAsync(CancellationToken.None);

            (await NetnsExistsAsync(name)).Should().BeTrue("its run still holds the lock: " + string.Join("; ", whileAlive));
            whileAlive.Should().NotContain(l => l.Contains(name));

            owner.Kill(entireProcessTree: true);
            await owner.WaitForExitAsync();
            await WaitUntilAsync(() => !HeldBySomeone(name));
            var afterDeath = await Netns.RemoveStaleAsync(CancellationToken.None);

            afterDeath.Should().Contain($"removed stale netns {name} (its run is gone)");
            (await NetnsExistsAsync(name)).Should().BeFalse();
            File.Exists(NetnsLock.PathFor(name)).Should().BeFalse("the lock file goes with its netns");
        }
        finally
        {
            if (!owner.HasExited) owner.Kill(entireProcessTree: true);
            await Processes.RunAsync("ip", ["netns", "del", name]);
            File.Delete(NetnsLock.PathFor(name));
        }
    }

    [Fact]
    public async Task A_netns_without_a_lock_is_left_alone_with_a_note()
    {
        var name = UnusedName();
        (await Processes.RunAsync("ip", ["netns", "add", name])).ExitCode.Should().Be(0);
        try
        {
            var report = await Netns.RemoveStaleAsync(CancellationToken.None);

            (await NetnsExistsAsync(name)).Should().BeTrue();
            report.Should().Contain(l => l.StartsWith($"left netns {name} alone: it has no lock"));
        }
        finally
        {
            await Processes.RunAsync("ip", ["netns", "del", name]);
        }
    }

    /// <summary>flock(1) can take the lock (and drops it at once) only if nobody holds it.</summary>
    private static bool HeldBySomeone(string name) =>
        File.Exists(NetnsLock.PathFor(name)) &&
        Processes.RunAsync("flock", ["--nonblock", NetnsLock.PathFor(name), "true"]).GetAwaiter().GetResult().ExitCode != 0;

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        for (var i = 0; i < 100 && !condition(); i++) await Task.Delay(100);
        condition().Should().BeTrue();
    }
}
