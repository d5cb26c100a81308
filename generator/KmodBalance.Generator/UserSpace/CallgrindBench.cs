using System.Globalization;
using System.Text;
using System.Text.Json;

namespace KmodBalance.Generator.UserSpace;

/// <summary>Instructions per steered packet and per remap at one number of live flows.</summary>
/// <param name="Flows">Live flows in the packet stream.</param>
/// <param name="TrackedFlows">Flows the dynamic balancer holds (at most 4096; the rest are steered by hash, untracked).</param>
/// <param name="Stock">Stock tun's automq selection, loop overhead subtracted.</param>
/// <param name="Hash">Multiply-shift of the flow hash, loop overhead subtracted.</param>
/// <param name="Dynamic">tun_balance_select behind the glue (load and test of tun->balance, the segments read from the skb), loop overhead subtracted.</param>
/// <param name="Adaptive">adaptive's tun_balance_select behind the same glue (the driver built with its core), loop overhead subtracted.</param>
/// <param name="LoopOverhead">The benchmark loop and one out-of-line call, per packet.</param>
/// <param name="Remap">tun_balance_remap, per run, averaged over the runs.</param>
public sealed record BenchRow(
    int Flows, int TrackedFlows, double Stock, double Hash, double Dynamic, double Adaptive, double LoopOverhead, double Remap, long Packets, int Remaps)
{
    public double DynamicOverStock => Stock > 0 ? Dynamic / Stock : double.NaN;

    public double AdaptiveOverStock => Stock > 0 ? Adaptive / Stock : double.NaN;
}

/// <summary>What `kmb bench` measured.</summary>
public sealed record BenchReport(IReadOnlyList<BenchRow> Rows, uint Queues, uint Threshold)
{
    /// <summary>The comparison the project aims at: dynamic costs at most this many times stock per packet.</summary>
    public const double TargetRatio = 1.5;

    public string ToMarkdown()
    {
        var ci = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.AppendLine(ci, $"Instructions (callgrind Ir), -O2 user-space build, {Queues} queues, threshold {Threshold}:");
        sb.AppendLine();
        sb.AppendLine("| live flows | tracked by dynamic | stock automq / pkt | hash / pkt | dynamic / pkt | dynamic ÷ stock | adaptive / pkt | adaptive ÷ stock | remap / run | remap / tracked flow |");
        sb.AppendLine("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var r in Rows)
            sb.AppendLine(ci,
                $"| {r.Flows:N0} | {r.TrackedFlows:N0} | {r.Stock:F1} | {r.Hash:F1} | {r.Dynamic:F1} | {r.DynamicOverStock:F2}x | {r.Adaptive:F1} | {r.AdaptiveOverStock:F2}x | {r.Remap:N0} | {r.Remap / Math.Max(1, r.TrackedFlows):N0} |");
        sb.AppendLine();
        var loop = Rows.Select(r => r.LoopOverhead).DefaultIfEmpty().Average();
        sb.AppendLine(ci, $"Per-packet figures exclude the benchmark loop and one out-of-line call and return per packet, as through ndo_select_queue ({loop:F1} instructions per packet), and the flow hash itself, which every policy computes alike. Dynamic includes the glue: the load and test of tun->balance and the segments (gso_segs, else 1 for a skb that is not GSO); a known flow's queue is tested against numqueues, and min(numqueues, real_num_tx_queues) is taken only where a flow is placed or steered by hash. Hash takes the minimum for every packet.");
        foreach (var r in Rows.Where(r => r.TrackedFlows < r.Flows))
            sb.AppendLine(string.Create(ci, $"At {r.Flows:N0} flows the tables are full (MAX_TAP_FLOWS = {r.TrackedFlows:N0}): ") +
                          string.Create(ci, $"{100.0 * (r.Flows - r.TrackedFlows) / r.Flows:F0}% of packets belong to untracked flows; both walk a bucket, miss ") +
                          "and steer by hash (dynamic also tests the flow's admission bit, reads its flow count and counts the segments as untracked load: no allocation, no lock).");
        foreach (var r in Rows)
            sb.AppendLine(string.Create(ci, $"{r.Flows:N0} flows: dynamic is {r.DynamicOverStock:F2}x stock per packet, ") +
                          (r.DynamicOverStock <= TargetRatio ? "within" : "OVER") + string.Create(ci, $" the {TargetRatio}x target; adaptive {r.AdaptiveOverStock:F2}x, ") +
                          (r.AdaptiveOverStock <= TargetRatio ? "within" : "OVER") + " it.");
        sb.AppendLine("Adaptive's figure is a known flow that is not moving (lookup, the queue/next test in the flow's line, one atomic add); a moving flow takes the lock and searches the old ring, a few packets per move.");
        var byTracked = Rows.GroupBy(r => r.TrackedFlows).Select(g => g.First()).OrderBy(r => r.TrackedFlows).ToList();
        if (byTracked.Count >= 2)
        {
            var (a, b) = (byTracked[0], byTracked[^1]);
            var perFlow = (b.Remap - a.Remap) / Math.Max(1, b.TrackedFlows - a.TrackedFlows);
            sb.AppendLine(ci, $"Remap cost: {a.Remap:N0} instructions at {a.TrackedFlows:N0} tracked flows, {b.Remap:N0} at {b.TrackedFlows:N0} ({b.Remap / a.Remap:F1}x for {(double)b.TrackedFlows / a.TrackedFlows:F0}x the flows; {perFlow:F0} per added flow): one walk of the 1024 buckets (take each flow's count with atomic_xchg and link the flow to its queue), then a merge sort of the lists of heavy queues that give flows away.");
        }
        return sb.ToString();
    }

    public string ToJson() => JsonSerializer.Serialize(this, new JsonSerializerOptions { WriteIndented = true });
}

/// <summary>
/// Counts instructions of the -O2 user-space build under callgrind. The driver's bench
/// mode collects only inside each measured loop (client requests) and dumps once per
/// loop; instruction counts, unlike times, repeat exactly from run to run.
/// </summary>
public static class CallgrindBench
{
    public static async Task<BenchReport> RunAsync(
        IReadOnlyList<int> flowCounts, long packets, int remaps, uint queues, uint threshold, CancellationToken ct)
    {
        var binary = await UserSpaceBuild.GetAsync(UserSpaceFlavor.Optimized, ct);
        // the same driver built with adaptive's core: its "select dynamic" loop runs adaptive's select
        var adaptive = await UserSpaceBuild.GetAsync(UserSpaceFlavor.Optimized, Policy.Adaptive, ct);
        var rows = new List<BenchRow>();
        foreach (var flows in flowCounts)
        {
            var row = await MeasureAsync(binary, flows, packets, remaps, queues, threshold, ct);
            var other = await MeasureAsync(adaptive, flows, packets, remaps, queues, threshold, ct);
            rows.Add(row with { Adaptive = other.Dynamic });
        }
        return new BenchReport(rows, queues, threshold);
    }

    private static async Task<BenchRow> MeasureAsync(
        UserSpaceBinary binary, int flows, long packets, int remaps, uint queues, uint threshold, CancellationToken ct)
    {
        var dir = Directory.CreateTempSubdirectory("kmb-callgrind-").FullName;
        try
        {
            var outFile = Path.Combine(dir, "callgrind.out");
            string[] valgrind = ["valgrind", "--tool=callgrind", "--collect-atstart=no", $"--callgrind-out-file={outFile}"];
            var ci = CultureInfo.InvariantCulture;
            var run = await binary.RunAsync(
                ["bench", flows.ToString(ci), packets.ToString(ci), remaps.ToString(ci), queues.ToString(ci), threshold.ToString(ci)],
                "", TimeSpan.FromMinutes(10), wrapper: valgrind, ct: ct);
            if (!run.Succeeded)
                throw new KmbException(
                    $"callgrind run of the balancer bench failed (exit {run.ExitCode}; is valgrind installed? apt-get install valgrind):\n{run.StandardError.TrimEnd()}", 1);

            var dumps = Directory.GetFiles(dir, "callgrind.out.*")
                .Select(f => CallgrindDump.Parse(File.ReadAllText(f)))
                .ToList();
            double PerPacket(string what) => Total(dumps, "select " + what) / (double)packets;
            var loop = PerPacket("null");
            var remapDumps = dumps.Where(d => d.Trigger == "remap").ToList();
            if (remapDumps.Count != remaps)
                throw new KmbException($"callgrind wrote {remapDumps.Count} remap dumps, expected {remaps}", 1);
            return new BenchRow(
                flows, TrackedFlows(run.StandardOutput),
                PerPacket("stock") - loop, PerPacket("hash") - loop, PerPacket("dynamic") - loop, double.NaN, loop,
                remapDumps.Average(d => (double)d.Instructions), packets, remaps);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static long Total(IReadOnlyList<CallgrindDump> dumps, string trigger)
    {
        var found = dumps.Where(d => d.Trigger == trigger).ToList();
        if (found.Count != 1)
            throw new KmbException($"callgrind wrote {found.Count} dumps for \"{trigger}\", expected 1", 1);
        return found[0].Instructions;
    }

    /// <summary>From the driver's "dynamic tracks N of M flows".</summary>
    public static int TrackedFlows(string driverOutput)
    {
        foreach (var line in driverOutput.Split('\n'))
        {
            var words = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (words is ["dynamic", "tracks", var n, "of", _, "flows"])
                return int.Parse(n, CultureInfo.InvariantCulture);
        }
        throw new KmbException($"the bench driver did not say how many flows it tracks:\n{driverOutput}", 1);
    }
}

/// <summary>One callgrind dump: why it was written and the instructions it counted.</summary>
public sealed record CallgrindDump(string Trigger, long Instructions)
{
    private const string TriggerPrefix = "desc: Trigger: Client Request: ";

    public static CallgrindDump Parse(string text)
    {
        string? trigger = null;
        long? total = null;
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            if (line.StartsWith(TriggerPrefix, StringComparison.Ordinal))
                trigger = line[TriggerPrefix.Length..].Trim();
            else if (line.StartsWith("totals:", StringComparison.Ordinal) || (total is null && line.StartsWith("summary:", StringComparison.Ordinal)))
                total = long.Parse(line[(line.IndexOf(':') + 1)..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
        }
        return new CallgrindDump(trigger ?? "(not a client request)",
            total ?? throw new KmbException("a callgrind dump without totals: or summary: line", 1));
    }
}
