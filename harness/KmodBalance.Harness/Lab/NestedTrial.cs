using KmodBalance.Generator.Build;
using KmodBalance.Harness.Images;
using KmodBalance.Harness.Infrastructure;
using KmodBalance.Harness.Lab.Steps;
using KmodBalance.Harness.Measurement;
using KmodBalance.Harness.Ssh;
using KmodBalance.Harness.Vm;

namespace KmodBalance.Harness.Lab;

/// <summary>What one trial runs: netperf flows of one test over a tap with this many queues.</summary>
public sealed record TrialSettings(int Flows, int DurationSeconds, NetperfTest Test, int Queues);

/// <summary>What one trial measured between its two snapshots.</summary>
/// <param name="Accel">For example "l1=tcg,l2=kvm".</param>
public sealed record TrialMeasurement(
    IReadOnlyList<QueueSample> Samples,
    MeasureSteps.NetperfOutcome Netperf,
    MeasureSteps.Snapshot Before,
    MeasureSteps.Snapshot After,
    string Accel)
{
    /// <summary>"on (how)" or "off (stock)": whether the tap balanced, as L1 showed it after creating it.</summary>
    public string Balancing { get; init; } = "unknown";

    /// <summary>L2's TCP reordering and retransmission counters over netperf (deltas); null when not read.</summary>
    public TcpCounters? Tcp { get; init; }

    /// <summary>Flows the dynamic or adaptive balancer moved during the measurement; null when the tap has no such balancer.</summary>
    public long? Migrations => Before.Balance is { Off: false } b && PolicyNames.TryParse(b.Policy, out var policy) && policy.Remaps()
        && After.Balance is { Off: false } a && a.Policy == b.Policy
            ? a.Migrations - b.Migrations : null;
}

/// <summary>
/// One fresh boot of the nested lab: L1 with the policy's module, L2 on its multi-queue tap, netperf
/// from L1 to L2 between two counter snapshots. A fresh L1 boot draws a fresh flow-hash seed, which is
/// what makes static hashing collide at random from trial to trial. Consoles are kept for the report.
/// </summary>
public sealed class NestedTrial(StepClock clock, IProgress<string> progress)
{
    /// <summary>Fresh boots a trial gets: nested KVM on TCG's emulated SVM kills about one boot in
    /// eight to one in four here (L2's QEMU exits mid-boot, or L1 panics in L2's QEMU; README "Nested
    /// runs"), whatever the policy, so a trial whose lab failed is booted again from L1, and every
    /// failed boot is reported with its error and consoles. Four, because CI has seen three boots of
    /// one trial die in a row, and two in a row on the next run.</summary>
    public const int Boots = 4;

    /// <summary>Whether a trial that failed with <paramref name="error"/> may get another fresh boot: a lab
    /// error may, a property the code under test failed (<see cref="PropertyFailedException"/>) never.</summary>
    public static bool MayBootAgain(LabStepException error) => error is not PropertyFailedException;

    private readonly L1Session.Started _l1 = new();

    /// <summary>Console logs and raw counter text by name ("l1", "l2", "netperf", ...).</summary>
    public Dictionary<string, string> Consoles { get; } = new();

    /// <summary>Extra facts for the report (tun status line).</summary>
    public Dictionary<string, string> Environment { get; } = new();

    public async Task<TrialMeasurement> RunAsync(PreparedPolicy policy, Accel runnerAccel, InstalledKernel kernel, string stateDir,
        TrialSettings settings, CleanupRegistry cleanup, CancellationToken ct)
    {
        // hash, dynamic and adaptive balance the tap created later (stock has no balance_default); the eBPF
        // back end loads the kernel's own tun.ko, which has no balancer, and attaches kmbsteer to the tap instead
        var session = await L1Session.StartAsync(policy, runnerAccel, kernel, stateDir, clock, cleanup, _l1, progress, ct,
            balanceDefault: policy.Backend == LabBackend.Module && policy.Policy != Policy.Stock);
        Environment["backend"] = LabBackends.Describe(policy.Backend);
        if (policy.Backend == LabBackend.Ebpf) Environment["tun_ko"] = Path.Combine(policy.ModuleDir, "tun.ko") + " (the kernel's own, unmodified)";
        Environment["tun"] = session.TunStatus;
        var l1 = session.Ssh;
        var l2Accel = await clock.Step("l1-kvm", () => LabHostSteps.SetupKvmAsync(l1, ct), ct);
        progress.Report(l2Accel.Message);
        var accel = $"l1={Name(runnerAccel)},l2={Name(l2Accel.Accel)}";
        await clock.Step("create-ltap", () => LabHostSteps.CreateTapAsync(l1, ct), ct);
        if (policy.Backend == LabBackend.Module)
            CheckBalancing(policy, await ReadModuleBalancingAsync(session, l1, ct));

        var l2Command = BootL2Step.Command(l2Accel.Accel, settings.Queues, kernel.Release);
        // Not booted again in this L1: after an L2 boot had died, the next one in that L1 panicked it in 2 of
        // the 4 cases seen; the whole trial is booted again instead (Boots)
        var l2Ready = await clock.Step("boot-l2", () => BootL2Step.RunAsync(l1, l2Command, progress, ct), ct);
        progress.Report($"L2 ready ({l2Ready})");
        // kmbsteer attaches once QEMU holds the tap's queues: on a tap that has a queue file open already, tun
        // skips the feature flags of the next TUNSETIFF (QEMU's IFF_VNET_HDR), and L2 got frames without their
        // virtio-net header ("bad gso" in L2's log, no SSH) when kmbsteer had attached first
        if (policy.Backend == LabBackend.Ebpf)
            CheckBalancing(policy, await AttachSteeringAsync(policy, l1, cleanup, ct));
        var guestKeys = policy.Images.Guest.Keys;
        var l2 = await clock.Step("ssh-l2", async () =>
        {
            var port = await l1.ForwardAsync(BootL2Step.Ip, 22, ct);
            return cleanup.Add("closed SSH to L2", await LabSshClient.ConnectAsync("ssh-l2", session.Netns.Name, "127.0.0.1", port,
                guestKeys.ClientKeyPath, guestKeys.HostKeyFingerprint, TimeSpan.FromSeconds(120), ct));
        }, ct);

        var before = await clock.Step("snapshot-before", () => SnapshotAsync("snapshot-before", policy, l1, l2, ct), ct);
        var tcpBefore = await clock.Step("tcp-counters-before", () => ReadTcpCountersAsync("tcp-counters-before", l2, ct), ct);
        var netperf = await clock.Step("netperf",
            () => MeasureSteps.RunNetperfAsync(l1, settings.Flows, settings.DurationSeconds, settings.Test, ct), ct);
        var after = await clock.Step("snapshot-after", () => SnapshotAsync("snapshot-after", policy, l1, l2, ct), ct);
        var tcpAfter = await clock.Step("tcp-counters-after", () => ReadTcpCountersAsync("tcp-counters-after", l2, ct), ct);
        var tcp = tcpAfter.Since(tcpBefore);
        progress.Report($"  L2 TCP: {tcp.OfoQueue} out-of-order queued, {tcp.SackReorder} SACK and {tcp.TsReorder} timestamp reorderings, {tcp.RetransSegs} retransmitted");
        foreach (var f in netperf.Flows) progress.Report($"  flow {f.Flow}: {f.Mbps:0.00} Mbit/s");

        await clock.Step("collect-consoles", async () =>
        {
            Consoles["l2"] = await BootL2Step.ReadConsoleAsync(l1, ct);
            Consoles["l1"] = session.Vm.Console;
            Consoles["l2-snapshot-before"] = Join(before.Raw);
            Consoles["l2-snapshot-after"] = Join(after.Raw);
            Consoles["netperf"] = netperf.RawOutput;
        }, ct);
        var samples = Deltas.Compute(before.Queues, after.Queues, settings.Queues);
        return new TrialMeasurement(samples, netperf, before, after, accel) { Balancing = Environment["balancing"], Tcp = tcp };
    }

    private void CheckBalancing(PreparedPolicy policy, string balancing)
    {
        Environment["balancing"] = balancing;
        progress.Report("balancing: " + balancing);
        if (policy.Policy != Policy.Stock && !balancing.StartsWith("on ", StringComparison.Ordinal))
            throw new PropertyFailedException("balance-state", $"{policy.Policy.Name()} ({policy.Backend.Name()} back end) does not balance {LabHostSteps.Tap}: {balancing}");
    }

    /// <summary>--backend module: the tap's balance attribute and its block of /sys/kernel/debug/tun_balance.</summary>
    private async Task<string> ReadModuleBalancingAsync(L1Session session, LabSshClient l1, CancellationToken ct)
    {
        var (requested, stats) = await clock.Step("balance-state", () => LabHostSteps.ReadBalanceAsync(l1, ct), ct);
        return LabHostSteps.DescribeBalancing(session.BalanceDefault, requested, stats);
    }

    /// <summary>--backend ebpf: dynamic attaches kmbsteer to the tap L2's QEMU holds (as `kmb steer` attaches to a
    /// running VMM's tap; the program is the device's, so it steers every queue, and kmbsteer follows the queue
    /// count) and reads its first statistics through the stats adapter; stock attaches nothing. Detached in the
    /// cleanup, before SSH to L1 closes.</summary>
    private async Task<string> AttachSteeringAsync(PreparedPolicy policy, LabSshClient l1, CleanupRegistry cleanup, CancellationToken ct)
    {
        if (!policy.Steers)
            return LabHostSteps.DescribeSteering(null, policy.SteerTunables, null);
        var line = await clock.Step("attach-kmbsteer", async () =>
        {
            var attached = await LabHostSteps.AttachSteerAsync(l1, LabHostSteps.Tap, policy.SteerTunables, ct);
            cleanup.Add($"detached kmbsteer from {LabHostSteps.Tap} in L1", () => LabHostSteps.DetachSteerAsync(l1, LabHostSteps.Tap));
            return attached;
        }, ct);
        progress.Report(line);
        var (raw, stats) = await clock.Step("balance-state", () => LabHostSteps.ReadSteerStatsAsync("balance-state", l1, LabHostSteps.Tap, ct), ct);
        Consoles["kmbsteer-stats-attached"] = raw;
        return LabHostSteps.DescribeSteering(line, policy.SteerTunables, stats);
    }

    /// <summary>The per-queue counters; for --backend ebpf the balancer's figures are kmbsteer's statistics
    /// (through the stats adapter) in place of the debugfs file the kernel's own tun does not have.</summary>
    private static async Task<MeasureSteps.Snapshot> SnapshotAsync(string step, PreparedPolicy policy, LabSshClient l1, LabSshClient l2, CancellationToken ct)
    {
        var snapshot = await MeasureSteps.SnapshotAsync(step, l1, l2, ct);
        if (!policy.Steers) return snapshot;
        var (raw, stats) = await LabHostSteps.ReadSteerStatsAsync(step, l1, LabHostSteps.Tap, ct);
        if (stats is null) throw new PropertyFailedException(step, $"kmbsteer's statistics of {LabHostSteps.Tap} are gone: did kmbsteer end?");
        return snapshot with { Balance = stats, Raw = snapshot.Raw with { L1BalanceStats = raw } };
    }

    private static async Task<TcpCounters> ReadTcpCountersAsync(string step, LabSshClient l2, CancellationToken ct)
    {
        var r = await l2.RunAsync(step, TcpCounters.ShellRead, TimeSpan.FromSeconds(30), ct);
        try
        {
            return TcpCounters.Parse(r.StdOut);
        }
        catch (FormatException e)
        {
            throw new LabStepException(step, $"L2's /proc/net/netstat or /proc/net/snmp: {e.Message}");
        }
    }

    /// <summary>After a failure: whatever consoles can still be read (bounded), never throwing.</summary>
    public async Task CollectConsolesBestEffortAsync()
    {
        if (_l1.Ssh is not null && !Consoles.ContainsKey("l2"))
        {
            try
            {
                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
                var l2 = await BootL2Step.ReadConsoleAsync(_l1.Ssh, cts.Token);
                if (l2.Length > 0) Consoles["l2"] = l2;
            }
            catch (Exception e) { progress.Report($"collect-consoles: could not read the L2 console: {e.Message}"); }
        }
        if (_l1.Vm is not null && !Consoles.ContainsKey("l1")) Consoles["l1"] = _l1.Vm.Console;
    }

    /// <summary>Panics and splats on L1's and L2's consoles as "l1 console: ...": often the real reason
    /// behind a step's timeout, and a run's numbers cannot be trusted beside one.</summary>
    public static IEnumerable<string> ConsoleFailures(IReadOnlyDictionary<string, string> consoles) =>
        consoles.Where(c => c.Key is "l1" or "l2")
            .Select(c => ConsoleScanner.FindKernelFailure(c.Value) is { } failure ? $"{c.Key} console: {failure}" : null)
            .OfType<string>();

    private static string Name(Accel accel) => accel.ToString().ToLowerInvariant();

    private static string Join(RawSnapshot raw) =>
        string.Join("\n### \n", raw.L2Interrupts, raw.L2Ethtool, raw.L1Tc, raw.L1BalanceStats);
}
