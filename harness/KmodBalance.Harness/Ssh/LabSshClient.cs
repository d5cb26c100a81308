using System.Diagnostics;
using KmodBalance.Harness.Infrastructure;
using KmodBalance.Harness.Network;
using Renci.SshNet;
using Renci.SshNet.Common;

namespace KmodBalance.Harness.Ssh;

public sealed record SshResult(int ExitCode, string StdOut, string StdErr);

/// <summary>SSH.NET client to a lab VM as root, with the VM's host key pinned (the fingerprint
/// recorded when its image was built; anything else is refused). Connections are opened from
/// inside the run's netns, so no lab traffic touches the runner's own interfaces.</summary>
public sealed class LabSshClient : IAsyncDisposable
{
    private readonly SshClient _client;
    private readonly string _netns;
    private readonly List<ForwardedPortLocal> _forwards = [];
    public string Target { get; }

    private LabSshClient(SshClient client, string netns, string target) { _client = client; _netns = netns; Target = target; }

    /// <summary>Connects, retrying until <paramref name="timeout"/> (the VM's sshd may still be starting).</summary>
    public static async Task<LabSshClient> ConnectAsync(string step, string netns, string host, int port, string clientKeyPath,
        string pinnedFingerprint, TimeSpan timeout, CancellationToken ct)
    {
        var sw = Stopwatch.StartNew();
        string? mismatch = null;
        Exception? last = null;
        while (sw.Elapsed < timeout)
        {
            ct.ThrowIfCancellationRequested();
            var key = new PrivateKeyFile(clientKeyPath);
            var info = new ConnectionInfo(host, port, "root", new PrivateKeyAuthenticationMethod("root", key))
            {
                Timeout = TimeSpan.FromSeconds(Math.Clamp((timeout - sw.Elapsed).TotalSeconds, 1, 15)),
            };
            var client = new SshClient(info) { KeepAliveInterval = TimeSpan.FromSeconds(10) };
            client.HostKeyReceived += (_, e) =>
            {
                var seen = "SHA256:" + e.FingerPrintSHA256;
                e.CanTrust = string.Equals(seen, pinnedFingerprint, StringComparison.Ordinal);
                if (!e.CanTrust) mismatch = $"host key {seen} is not the pinned {pinnedFingerprint}";
            };
            try
            {
                // Connect on a thread inside the netns: the socket is created there.
                await Netns.RunInside(netns, () => { client.Connect(); return true; }).WaitAsync(ct);
                return new LabSshClient(client, netns, $"root@{host}:{port}");
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                client.Dispose();
                if (mismatch is not null) throw new LabStepException(step, $"refusing {host}:{port}: {mismatch}");
                last = e;
                await Task.Delay(TimeSpan.FromSeconds(1), ct);
            }
        }
        throw new LabStepException(step, $"no SSH to root@{host}:{port} within {timeout.TotalSeconds:0} s: {last?.Message}");
    }

    /// <summary>Runs a shell command; fails the step on timeout and (when <paramref name="check"/>) on a non-zero exit.</summary>
    public async Task<SshResult> RunAsync(string step, string command, TimeSpan timeout, CancellationToken ct, bool check = true)
    {
        using var cmd = _client.CreateCommand(command);
        using var timeoutCts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeoutCts.CancelAfter(timeout);
        try
        {
            await cmd.ExecuteAsync(timeoutCts.Token);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new LabStepException(step, $"`{Short(command)}` on {Target} timed out after {timeout.TotalSeconds:0} s");
        }
        catch (SshException e)
        {
            throw new LabStepException(step, $"`{Short(command)}` on {Target}: {e.Message}", e);
        }
        var result = new SshResult(cmd.ExitStatus ?? -1, cmd.Result, cmd.Error);
        if (check && result.ExitCode != 0)
            throw new LabStepException(step, $"`{Short(command)}` on {Target} exited {result.ExitCode}: " +
                Processes.ProcessRunner.Tail(result.StdErr.Length > 0 ? result.StdErr : result.StdOut));
        return result;
    }

    /// <summary>Copies a local file to <paramref name="remotePath"/> by streaming it into `cat` (the lab
    /// images have neither scp nor an SFTP server); fails the step on a non-zero exit or a timeout.</summary>
    public async Task UploadAsync(string step, string localPath, string remotePath, TimeSpan timeout, CancellationToken ct)
    {
        using var cmd = _client.CreateCommand($"cat > '{remotePath}'");
        using var timeoutCts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeoutCts.CancelAfter(timeout);
        try
        {
            var run = cmd.ExecuteAsync(timeoutCts.Token);
            await using (var input = cmd.CreateInputStream())
            await using (var file = File.OpenRead(localPath))
                await file.CopyToAsync(input, timeoutCts.Token);
            await run;
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new LabStepException(step, $"copying {localPath} to {Target}:{remotePath} timed out after {timeout.TotalSeconds:0} s");
        }
        catch (SshException e)
        {
            throw new LabStepException(step, $"copying {localPath} to {Target}:{remotePath}: {e.Message}", e);
        }
        if (cmd.ExitStatus != 0)
            throw new LabStepException(step, $"copying {localPath} to {Target}:{remotePath}: cat exited {cmd.ExitStatus}: {cmd.Error.Trim()}");
    }

    /// <summary>Forwards a port bound on 127.0.0.1 *of the run's netns* through this VM to
    /// <paramref name="host"/>:<paramref name="port"/> (how the harness reaches L2 through L1).
    /// Returns the bound port.</summary>
    public async Task<int> ForwardAsync(string host, int port, CancellationToken ct)
    {
        var fwd = new ForwardedPortLocal("127.0.0.1", 0, host, (uint)port);
        _client.AddForwardedPort(fwd);
        await Netns.RunInside(_netns, () => { fwd.Start(); return true; }).WaitAsync(ct);
        _forwards.Add(fwd);
        return (int)fwd.BoundPort;
    }

    private static string Short(string c) => c.Length <= 120 ? c : c[..117] + "...";

    public ValueTask DisposeAsync()
    {
        foreach (var f in _forwards) { try { f.Stop(); } catch { /* connection may be gone */ } f.Dispose(); }
        try { _client.Disconnect(); } catch { /* VM may be gone */ }
        _client.Dispose();
        return ValueTask.CompletedTask;
    }
}
