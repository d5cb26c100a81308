// TEMPORARY minimal stand-in for the colleague's Measurement parsers (same public API).
// Replace this whole file with the real implementation at merge.
using System.Globalization;
using System.Text.RegularExpressions;

namespace KmodBalance.Harness.Measurement;

public enum NetperfTest { TcpStream, UdpStream }

public sealed record QueueSnapshot(IReadOnlyDictionary<int, long> Interrupts, IReadOnlyDictionary<int, long> RxPackets, IReadOnlyDictionary<int, long> HostPackets);
public sealed record QueueSample(int Queue, long Interrupts, long RxPackets, long HostPackets);
public sealed record SpreadCriteria(double MinShare = 0.10);
public sealed record SpreadVerdict(bool Passed, string Evidence, IReadOnlyList<double> Shares, double Jain, IReadOnlyList<string> Reasons);

public static class InterruptsParser
{
    public static IReadOnlyDictionary<int, long> ParseVirtioInputQueues(string procInterrupts, int virtioIndex)
    {
        var lines = procInterrupts.Split('\n');
        var cpus = lines.FirstOrDefault(l => l.Contains("CPU0"))?.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length ?? 0;
        var re = new Regex($@"virtio{virtioIndex}-input\.(\d+)\s*$");
        var result = new Dictionary<int, long>();
        foreach (var l in lines)
        {
            var m = re.Match(l);
            if (!m.Success) continue;
            var f = l.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            result[int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)] = f.Skip(1).Take(cpus).Sum(x => long.TryParse(x, out var v) ? v : 0);
        }
        return result;
    }
}

public static class VirtioIndex
{
    public static int Parse(string deviceLink)
    {
        var m = Regex.Match(deviceLink.Trim(), @"virtio(\d+)$");
        return m.Success ? int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) : throw new FormatException($"not a virtio device link: {deviceLink}");
    }
}

public static class EthtoolStatsParser
{
    public static IReadOnlyDictionary<int, long> ParseRxQueuePackets(string ethtoolS)
    {
        var result = new Dictionary<int, long>();
        foreach (Match m in Regex.Matches(ethtoolS, @"^\s*rx(?:_queue_)?(\d+)_packets:\s*(\d+)", RegexOptions.Multiline))
            result[int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)] = long.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture);
        return result;
    }
}

public static class TcQdiscParser
{
    /// <summary>mq child "parent :N" (1-based) -> Sent packets, keyed by 0-based queue.</summary>
    public static IReadOnlyDictionary<int, long> ParseMqChildPackets(string tcOutput)
    {
        var result = new Dictionary<int, long>();
        int? q = null;
        foreach (var l in tcOutput.Split('\n'))
        {
            var head = Regex.Match(l, @"^qdisc\s+\S+\s+\S+\s+parent\s+[0-9a-f]*:([0-9a-f]+)");
            if (l.StartsWith("qdisc", StringComparison.Ordinal)) q = head.Success ? Convert.ToInt32(head.Groups[1].Value, 16) - 1 : null;
            var sent = Regex.Match(l, @"^\s*Sent\s+\d+\s+bytes\s+(\d+)\s+pkt");
            if (sent.Success && q is { } qi) result[qi] = long.Parse(sent.Groups[1].Value, CultureInfo.InvariantCulture);
        }
        return result;
    }
}

public static class NetperfParser
{
    public static double ParseThroughputMbps(string output, NetperfTest test)
    {
        var rows = output.Split('\n').Select(l => l.Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(f => f.Length >= 4 && f.All(x => double.TryParse(x, NumberStyles.Float, CultureInfo.InvariantCulture, out _))).ToList();
        if (rows.Count == 0) throw new FormatException("no netperf result line");
        return double.Parse(rows[^1][^1], CultureInfo.InvariantCulture);
    }
}

public static class Deltas
{
    public static IReadOnlyList<QueueSample> Compute(QueueSnapshot before, QueueSnapshot after, int queueCount)
    {
        static long D(IReadOnlyDictionary<int, long> a, IReadOnlyDictionary<int, long> b, int q) => b.GetValueOrDefault(q) - a.GetValueOrDefault(q);
        return Enumerable.Range(0, queueCount).Select(q => new QueueSample(q, D(before.Interrupts, after.Interrupts, q),
            D(before.RxPackets, after.RxPackets, q), D(before.HostPackets, after.HostPackets, q))).ToList();
    }
}

public static class ConsoleScanner
{
    private static readonly Regex Failure = new(@"soft lockup|self-detected stall|Oops|BUG:|Kernel panic|general protection fault", RegexOptions.Compiled);
    public static string? FindKernelFailure(string consoleLog)
    {
        var lines = consoleLog.Split('\n');
        for (var i = 0; i < lines.Length; i++)
            if (Failure.IsMatch(lines[i])) return string.Join("\n", lines.Skip(i).Take(8)).Trim();
        return null;
    }
}

public static class Fairness
{
    public static double Jain(IEnumerable<double> values)
    {
        var v = values.ToList();
        var sq = v.Sum(x => x * x);
        return v.Count == 0 || sq == 0 ? 0 : v.Sum() * v.Sum() / (v.Count * sq);
    }
}

public static class SpreadJudge
{
    public static SpreadVerdict Judge(IReadOnlyList<QueueSample> queues, int flows, SpreadCriteria criteria)
    {
        var total = queues.Sum(q => q.RxPackets);
        var shares = queues.Select(q => total == 0 ? 0.0 : (double)q.RxPackets / total).ToList();
        var reasons = new List<string>();
        if (total == 0) reasons.Add("no packets received on any queue");
        var expected = Math.Min(flows, queues.Count);
        var busy = shares.Count(s => s >= criteria.MinShare);
        if (total > 0 && busy < expected) reasons.Add($"{busy} of {queues.Count} queues carried at least {criteria.MinShare:P0} of packets; expected {expected}");
        var jain = Fairness.Jain(shares);
        var evidence = string.Join(", ", queues.Select((q, i) => $"q{q.Queue}={shares[i]:P1}"));
        return new SpreadVerdict(reasons.Count == 0, evidence, shares, jain, reasons);
    }
}
