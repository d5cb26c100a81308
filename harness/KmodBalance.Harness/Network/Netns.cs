using System.Runtime.InteropServices;
using KmodBalance.Harness.Infrastructure;
using KmodBalance.Harness.Processes;

namespace KmodBalance.Harness.Network;

/// <summary>A network namespace owned by one lab run (kmb-lab-PID), with the tap L1's NIC uses.
/// Lab traffic never leaves it: the harness's own SSH sockets are opened from inside it
/// (<see cref="RunInside{T}"/>). The run holds its <see cref="NetnsLock"/> while the namespace
/// exists. Disposing deletes the namespace, and the tap with it, then the lock.</summary>
public sealed class Netns : IAsyncDisposable
{
    public const string Prefix = "kmb-lab-";
    public string Name { get; }
    public string Tap { get; }
    private readonly NetnsLock _lock;
    private bool _deleted;

    private Netns(string name, string tap, NetnsLock held) { Name = name; Tap = tap; _lock = held; }

    public static string NameFor(int pid) => $"{Prefix}{pid}";

    /// <summary>Claims <paramref name="name"/> (its lock), replaces a namespace of that name a dead run
    /// left, creates the namespace, brings up lo, and adds TAP with <paramref name="hostCidr"/>.</summary>
    public static async Task<Netns> CreateAsync(string name, string tap, string hostCidr, CancellationToken ct)
    {
        const string step = "create-netns";
        var t = TimeSpan.FromSeconds(15);
        var held = NetnsLock.TryAcquire(name, create: true)
            ?? throw new LabStepException(step, $"netns {name} belongs to a live lab run in another PID namespace " +
                $"(it holds {NetnsLock.PathFor(name)}): run this lab from another PID namespace or after that run ends");
        var ns = new Netns(name, tap, held);
        try
        {
            // Under our lock, a namespace of this name was left by a dead run whose PID we now have.
            await ProcessRunner.RunAsync(step, "ip", ["netns", "del", name], t, ct, check: false);
            await ProcessRunner.RunAsync(step, "ip", ["netns", "add", name], t, ct);
        }
        catch
        {
            held.Dispose();
            throw;
        }
        try
        {
            await ProcessRunner.RunAsync(step, "ip", ["-n", name, "link", "set", "lo", "up"], t, ct);
            await ProcessRunner.RunAsync(step, "ip", ["-n", name, "tuntap", "add", "dev", tap, "mode", "tap"], t, ct);
            await ProcessRunner.RunAsync(step, "ip", ["-n", name, "addr", "add", hostCidr, "dev", tap], t, ct);
            await ProcessRunner.RunAsync(step, "ip", ["-n", name, "link", "set", tap, "up"], t, ct);
        }
        catch
        {
            await ns.DisposeAsync();
            throw;
        }
        return ns;
    }

    /// <summary>Deletes the namespace (and every tap in it).</summary>
    public async ValueTask DisposeAsync()
    {
        if (_deleted) return;
        _deleted = true;
        var r = await ProcessRunner.RunAsync("cleanup", "ip", ["netns", "del", Name], TimeSpan.FromSeconds(15), CancellationToken.None, check: false);
        // Kept when the namespace could not be deleted: the next run then finds it stale and retries.
        if (r.ExitCode == 0) _lock.Dispose();
    }

    /// <summary>Deletes the lab namespaces of runs that are gone (killed with SIGKILL): those whose lock is
    /// free. One without a lock file was not made by a kmb that locks, and is left alone.</summary>
    /// <returns>What was deleted, and what was left alone and why.</returns>
    public static async Task<IReadOnlyList<string>> RemoveStaleAsync(CancellationToken ct)
    {
        var r = await ProcessRunner.RunAsync("create-netns", "ip", ["netns", "list"], TimeSpan.FromSeconds(10), ct, check: false);
        var report = new List<string>();
        foreach (var name in LabNames(r.StdOut).Where(n => n != NameFor(Environment.ProcessId)))
        {
            using var held = NetnsLock.TryAcquire(name, create: false);
            if (held is null)
            {
                if (!File.Exists(NetnsLock.PathFor(name)))
                    report.Add($"left netns {name} alone: it has no lock ({NetnsLock.PathFor(name)}), so whether its run lives is unknown; " +
                        $"`ip netns del {name}` if no lab runs");
                continue;
            }
            var del = await ProcessRunner.RunAsync("create-netns", "ip", ["netns", "del", name], TimeSpan.FromSeconds(15), ct, check: false);
            report.Add(del.ExitCode == 0 ? $"removed stale netns {name} (its run is gone)" : $"could not remove stale netns {name}: {del.StdErr.Trim()}");
        }
        return report;
    }

    /// <summary>Pure: the kmb-lab-PID names in `ip netns list` output.</summary>
    public static IReadOnlyList<string> LabNames(string ipNetnsList) =>
        ipNetnsList.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split(' ')[0].Trim())
            .Where(n => n.StartsWith(Prefix, StringComparison.Ordinal) && int.TryParse(n[Prefix.Length..], out _))
            .ToList();

    /// <summary>Runs <paramref name="body"/> on a fresh thread that has joined this namespace
    /// (setns affects only the calling thread). Sockets created there stay in the namespace for
    /// their whole life, whichever thread uses them later.</summary>
    public Task<T> RunInside<T>(Func<T> body) => RunInside(Name, body);

    public static Task<T> RunInside<T>(string netns, Func<T> body)
    {
        var tcs = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                using (var fd = File.OpenHandle($"/var/run/netns/{netns}", FileMode.Open, FileAccess.Read))
                {
                    if (setns((int)fd.DangerousGetHandle(), CLONE_NEWNET) != 0)
                        throw new IOException($"setns({netns}) failed: errno {Marshal.GetLastPInvokeError()}");
                }
                tcs.SetResult(body());
            }
            catch (Exception e) { tcs.SetException(e); }
        }) { IsBackground = true, Name = $"netns:{netns}" };
        thread.Start();
        return tcs.Task;
    }

    private const int CLONE_NEWNET = 0x40000000;

    [DllImport("libc", SetLastError = true)]
    private static extern int setns(int fd, int nstype);
}
