using KmodBalance.Harness.Infrastructure;
using KmodBalance.Harness.Measurement;
using KmodBalance.Harness.Reporting;
using KmodBalance.Harness.Ssh;

namespace KmodBalance.Harness.Lab.Steps;

/// <summary>Raw counter text of one snapshot, kept for the report.</summary>
public sealed record RawSnapshot(string L2Interrupts, string L2DeviceLink, string L2Ethtool, string L1Tc, string L1BalanceStats);

/// <summary>Per-queue snapshots (L2 /proc/interrupts + ethtool -S, L1 tc mq children and the tap's
/// block of the balancer statistics, /sys/kernel/debug/tun_balance) and the netperf run.</summary>
public static class MeasureSteps
{
    private const string Sep = "### kmb-section";

    public sealed record Snapshot(QueueSnapshot Queues, BalanceStats? Balance, RawSnapshot Raw);

    public static async Task<Snapshot> SnapshotAsync(string step, LabSshClient l1, LabSshClient l2, CancellationToken ct)
    {
        var t = TimeSpan.FromSeconds(60);
        var guest = l2.RunAsync(step, $"cat /proc/interrupts; echo '{Sep}'; readlink /sys/class/net/eth0/device; echo '{Sep}'; ethtool -S eth0", t, ct);
        var host = l1.RunAsync(step, $"tc -s qdisc show dev {LabHostSteps.Tap}; echo '{Sep}'; " +
            BalanceStatsParser.ShellRead, t, ct);
        var parts = (await guest).StdOut.Split(Sep + "\n");
        if (parts.Length != 3) throw new LabStepException(step, "unexpected L2 snapshot output");
        var hostParts = (await host).StdOut.Split(Sep + "\n");
        if (hostParts.Length != 2) throw new LabStepException(step, "unexpected L1 snapshot output");
        var raw = new RawSnapshot(parts[0], parts[1].Trim(), parts[2], hostParts[0], hostParts[1]);
        var virtio = VirtioIndex.Parse(raw.L2DeviceLink);
        return new Snapshot(new QueueSnapshot(InterruptsParser.ParseVirtioInputQueues(raw.L2Interrupts, virtio),
            EthtoolStatsParser.ParseRxQueuePackets(raw.L2Ethtool), TcQdiscParser.ParseMqChildPackets(raw.L1Tc)),
            BalanceStatsParser.ParseOptional(raw.L1BalanceStats, LabHostSteps.Tap), raw);
    }

    public sealed record NetperfOutcome(IReadOnlyList<FlowReport> Flows, IReadOnlyList<string> Problems, string RawOutput);

    /// <summary>Starts all flows together in L1 (netperf-flows.sh), each bounded by `timeout`.</summary>
    public static async Task<NetperfOutcome> RunNetperfAsync(LabSshClient l1, int flows, int seconds, NetperfTest test, CancellationToken ct)
    {
        var r = await l1.RunAsync("netperf", $"/opt/kmb/netperf-flows.sh {BootL2Step.Ip} {flows} {seconds} {test.NetperfName()}",
            TimeSpan.FromSeconds(seconds + 90), ct);
        return ParseFlows(r.StdOut, flows, test);
    }

    /// <summary>Pure: splits netperf-flows.sh output ("### flow I rc=RC" + netperf text) into per-flow results.</summary>
    public static NetperfOutcome ParseFlows(string output, int flows, NetperfTest test)
    {
        var results = new List<FlowReport>();
        var problems = new List<string>();
        var sections = output.Split("### flow ", StringSplitOptions.RemoveEmptyEntries);
        foreach (var s in sections)
        {
            var header = s.Split('\n')[0];
            var m = System.Text.RegularExpressions.Regex.Match(header, @"^(\d+) rc=(\d+)");
            if (!m.Success) continue;
            var flow = int.Parse(m.Groups[1].Value);
            var rc = int.Parse(m.Groups[2].Value);
            if (rc != 0) { problems.Add($"flow {flow}: netperf exited {rc}{(rc == 124 ? " (timed out)" : "")}"); results.Add(new FlowReport(flow, 0)); continue; }
            try { results.Add(new FlowReport(flow, NetperfParser.ParseThroughputMbps(s[(header.Length + 1)..], test))); }
            catch (FormatException e) { problems.Add($"flow {flow}: {e.Message}"); results.Add(new FlowReport(flow, 0)); }
        }
        if (results.Count != flows) problems.Add($"{results.Count} of {flows} flows reported");
        return new NetperfOutcome(results, problems, output);
    }
}
