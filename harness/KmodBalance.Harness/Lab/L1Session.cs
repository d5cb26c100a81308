using KmodBalance.Generator.Build;
using KmodBalance.Harness.Lab.Steps;
using KmodBalance.Harness.Network;
using KmodBalance.Harness.Processes;
using KmodBalance.Harness.Ssh;
using KmodBalance.Harness.Vm;

namespace KmodBalance.Harness.Lab;

/// <summary>One boot of the lab host: the run's netns and tap, L1 QEMU, SSH to L1 and the module
/// under test loaded. Every resource is registered with the caller's <see cref="CleanupRegistry"/>,
/// so a fresh boot per trial is a fresh session with its own registry.</summary>
public sealed class L1Session
{
    private L1Session(Netns netns, string runDir, VmProcess vm, LabSshClient ssh, string tunStatus, int? balanceDefault)
    {
        BalanceDefault = balanceDefault;
        Netns = netns;
        RunDir = runDir;
        Vm = vm;
        Ssh = ssh;
        TunStatus = tunStatus;
    }

    public Netns Netns { get; }
    public string RunDir { get; }
    public VmProcess Vm { get; }
    public LabSshClient Ssh { get; }
    /// <summary>load-tun.sh's "KMB-TUN srcversion=... taint=..." line.</summary>
    public string TunStatus { get; }
    /// <summary>The loaded module's balance_default (null: a module without the balancer).</summary>
    public int? BalanceDefault { get; }

    /// <summary>L1 objects created so far, for collecting consoles when a later step fails.</summary>
    public sealed class Started
    {
        public VmProcess? Vm { get; internal set; }
        public LabSshClient? Ssh { get; internal set; }
    }

    /// <param name="balanceDefault">Load the module with balance_default=1 (hash, dynamic), so the tap
    /// created later balances; the deterministic check turns balancing on per tap instead.</param>
    public static async Task<L1Session> StartAsync(PreparedPolicy policy, Accel accel, InstalledKernel kernel, string stateDir,
        StepClock clock, CleanupRegistry cleanup, Started started, IProgress<string> progress, CancellationToken ct, bool balanceDefault = false)
    {
        var netns = await clock.Step("create-netns", async () =>
        {
            foreach (var line in await Netns.RemoveStaleAsync(ct))
                progress.Report(line);
            var ns = await Netns.CreateAsync(Netns.NameFor(Environment.ProcessId), "kmbtap0", "192.0.2.1/24", ct);
            cleanup.Add($"deleted netns {ns.Name} (and tap {ns.Tap})", ns.DisposeAsync);
            return ns;
        }, ct);
        var runDir = Directory.CreateDirectory(Path.Combine(stateDir, "runs", Environment.ProcessId.ToString())).FullName;
        cleanup.Add($"removed temp dir {runDir}", () => { Directory.Delete(runDir, true); return ValueTask.CompletedTask; });

        var image = policy.Images.LabHost!;
        var command = BootL1Step.Command(accel, kernel, image.ImagePath, netns.Tap);
        var vm = started.Vm = await clock.StepWithRetry("boot-l1", BootL1Step.Attempts,
            () => BootL1Step.RunAsync(command, netns, Path.Combine(runDir, "l1.console"), cleanup, progress, ct), ct);
        var ssh = started.Ssh = await clock.Step("ssh-l1", async () => cleanup.Add("closed SSH to L1",
            await LabSshClient.ConnectAsync("ssh-l1", netns.Name, BootL1Step.Ip, 22, image.Keys.ClientKeyPath,
                image.Keys.HostKeyFingerprint, TimeSpan.FromSeconds(60), ct)), ct);
        var (tunStatus, balance) = await clock.Step("load-module", () => LabHostSteps.LoadModuleAsync(ssh, balanceDefault, ct), ct);
        progress.Report(tunStatus);
        progress.Report(balance is { } b ? $"balance_default={b}" : "the module has no balancer (stock)");
        return new L1Session(netns, runDir, vm, ssh, tunStatus, balance);
    }
}
