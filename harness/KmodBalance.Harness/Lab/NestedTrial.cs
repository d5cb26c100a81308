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
    public long? Migrations => Before.Balance is { Off: false, Policy: "dynamic" or "adaptive" } b && After.Balance is { Off: false } a && a.Policy == b.Policy
        ? a.Migrations - b.Migrations : null;
}

/// <summary>
/// One fresh boot of the nested lab: L1 with the policy's module, L2 on its multi-queue tap, netperf
/// from L1 to L2 between two counter snapshots. A fresh L1 boot draws a fresh flow-hash seed, which is
/// what makes static hashing collide at random from trial to trial. Consoles are kept for the report.
/// </summary>
public sealed class NestedTrial(StepClock clock, IProgress<string> progress)
{
    private readonly L1Session.Started _l1 = new();

    /// <summary>Console logs and raw counter text by name ("l1", "l2", "netperf", ...).</summary>
    public Dictionary<string, string> Consoles { get; } = new();

    /// <summary>Extra facts for the report (tun status line).</summary>
    public Dictionary<string, string> Environment { get; } = new();

    public async Task<TrialMeasurement> RunAsync(PreparedPolicy policy, Accel runnerAccel, InstalledKernel kernel, string stateDir,
        TrialSettings settings, CleanupRegistry cleanup, CancellationToken ct)
    {
        // hash, dynamic and adaptive balance the tap created later (stock has no balance_default)
        var session = await L1Session.StartAsync(policy, runnerAccel, kernel, stateDir, clock, cleanup, _l1, progress, ct,
            balanceDefault: policy.Policy != "stock");
        Environment["tun"] = session.TunStatus;
        var l1 = session.Ssh;
        var l2Accel = await clock.Step("l1-kvm", () => LabHostSteps.SetupKvmAsync(l1, ct), ct);
        progress.Report(l2Accel.Message);
        var accel = $"l1={Name(runnerAccel)},l2={Name(l2Accel.Accel)}";
        await clock.Step("create-ltap", () => LabHostSteps.CreateTapAsync(l1, ct), ct);
        var (requested, stats) = await clock.Step("balance-state", () => LabHostSteps.ReadBalanceAsync(l1, ct), ct);
        var balancing = LabHostSteps.DescribeBalancing(session.BalanceDefault, requested, stats);
        Environment["balancing"] = balancing;
        progress.Report("balancing: " + balancing);
        if (policy.Policy != "stock" && !balancing.StartsWith("on ", StringComparison.Ordinal))
            throw new LabStepException("balance-state", $"the {policy.Policy} module does not balance {LabHostSteps.Tap}: {balancing}");

        var l2Command = BootL2Step.Command(l2Accel.Accel, settings.Queues, kernel.Release);
        var l2Ready = await clock.StepWithRetry("boot-l2", BootL2Step.Attempts, () => BootL2Step.RunAsync(l1, l2Command, progress, ct), ct);
        progress.Report($"L2 ready ({l2Ready})");
        var guestKeys = policy.Images.Guest.Keys;
        var l2 = await clock.Step("ssh-l2", async () =>
        {
            var port = await l1.ForwardAsync(BootL2Step.Ip, 22, ct);
            return cleanup.Add("closed SSH to L2", await LabSshClient.ConnectAsync("ssh-l2", session.Netns.Name, "127.0.0.1", port,
                guestKeys.ClientKeyPath, guestKeys.HostKeyFingerprint, TimeSpan.FromSeconds(120), ct));
        }, ct);

        var before = await clock.Step("snapshot-before", () => MeasureSteps.SnapshotAsync("snapshot-before", l1, l2, ct), ct);
        var tcpBefore = await clock.Step("tcp-counters-before", () => ReadTcpCountersAsync("tcp-counters-before", l2, ct), ct);
        var netperf = await clock.Step("netperf",
            () => MeasureSteps.RunNetperfAsync(l1, settings.Flows, settings.DurationSeconds, settings.Test, ct), ct);
        var after = await clock.Step("snapshot-after", () => MeasureSteps.SnapshotAsync("snapshot-after", l1, l2, ct), ct);
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
        return new TrialMeasurement(samples, netperf, before, after, accel) { Balancing = balancing, Tcp = tcp };
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

    private static string Name(Accel accel) => accel.ToString().ToLowerInvariant();

    private static string Join(RawSnapshot raw) =>
        string.Join("\n### \n", raw.L2Interrupts, raw.L2Ethtool, raw.L1Tc, raw.L1BalanceStats);
}
