using System.Runtime.InteropServices;
using KmodBalance.Harness.Processes;

namespace KmodBalance.Harness.Network;

/// <summary>A network namespace owned by one lab run (kmb-lab-PID), with the tap L1's NIC uses.
/// Lab traffic never leaves it: the harness's own SSH sockets are opened from inside it
/// (<see cref="RunInside{T}"/>). Disposing deletes the namespace, and the tap with it.</summary>
public sealed class Netns : IAsyncDisposable
{
    public const string Prefix = "kmb-lab-";
    public string Name { get; }
    public string Tap { get; }
    private bool _deleted;

    private Netns(string name, string tap) { Name = name; Tap = tap; }

    public static string NameFor(int pid) => $"{Prefix}{pid}";

    /// <summary>Creates the namespace, brings up lo, and adds TAP with <paramref name="hostCidr"/>.</summary>
    public static async Task<Netns> CreateAsync(string name, string tap, string hostCidr, CancellationToken ct)
    {
        const string step = "create-netns";
        var t = TimeSpan.FromSeconds(15);
        await ProcessRunner.RunAsync(step, "ip", ["netns", "add", name], t, ct);
        var ns = new Netns(name, tap);
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
        await ProcessRunner.RunAsync("cleanup", "ip", ["netns", "del", Name], TimeSpan.FromSeconds(15), CancellationToken.None, check: false);
    }

    /// <summary>Lab namespaces left by runs whose process is gone (killed with SIGKILL).</summary>
    public static async Task<IReadOnlyList<string>> FindStaleAsync(CancellationToken ct)
    {
        var r = await ProcessRunner.RunAsync("cleanup", "ip", ["netns", "list"], TimeSpan.FromSeconds(10), ct, check: false);
        return ParseStale(r.StdOut, pid => Directory.Exists($"/proc/{pid}"));
    }

    /// <summary>Pure: names kmb-lab-PID from `ip netns list` whose PID is not alive.</summary>
    public static IReadOnlyList<string> ParseStale(string ipNetnsList, Func<int, bool> isAlive) =>
        ipNetnsList.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split(' ')[0].Trim())
            .Where(n => n.StartsWith(Prefix, StringComparison.Ordinal) && int.TryParse(n[Prefix.Length..], out var pid) && !isAlive(pid))
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
