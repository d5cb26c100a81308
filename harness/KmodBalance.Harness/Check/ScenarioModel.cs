using KmodBalance.Harness.Measurement;
using KmodBalance.Model.Balancing;

namespace KmodBalance.Harness.Check;

/// <summary>How the replay perturbs a scenario the way a real run would.</summary>
/// <param name="PhaseMs">When the first remap fires after the tap is created, in (0, P].</param>
/// <param name="Seed">Flow hashes (the boot's seed) and the random perturbations.</param>
/// <param name="StallsPerSecond">How often the sender stalls (all its flows at once, as one thread).</param>
/// <param name="MaxStallMs">A stall's length is uniform in [0, this].</param>
/// <param name="TimerLateMs">Each remap fires up to this much after its due time; the next is armed from it.</param>
public sealed record ReplayConditions(double PhaseMs, int Seed, double StallsPerSecond = 0, double MaxStallMs = 0, double TimerLateMs = 0);

/// <summary>
/// Replays a scenario through the C# reference model of the dynamic balancer (which a differential
/// test holds decision for decision equal to the generated kernel C) and renders what mqtap and
/// udpflows would report. `kmb lab check`'s designs are verified with it: for every timer phase,
/// flow hash and sender stall, <see cref="ScenarioAnalyzer"/> must pass the model's run.
/// </summary>
public static class ScenarioModel
{
    public static ScenarioObservation Replay(CheckScenario s, ReplayConditions c, Func<uint, IQueueSelectorForReplay>? balancer = null)
    {
        ArgumentNullException.ThrowIfNull(s);
        ArgumentNullException.ThrowIfNull(c);
        if (s.PeriodMs is not { } periodMs || s.Threshold is not { } threshold)
            throw new ArgumentException("only scenarios of the dynamic policy can be replayed", nameof(s));
        if (s.Events.Count > 0 || s.Flood is not null || s.Replies.Count > 0 || s.SingleQueue || !s.Balance)
            throw new ArgumentException("queue events, switches, replies and floods are not replayed", nameof(s));
        var rng = new Random(c.Seed);
        var sel = balancer?.Invoke(threshold) ?? new ModelBalancer(new DynamicBalancer(threshold));
        var hash = s.Flows.ToDictionary(f => f.Port, _ => (uint)rng.NextInt64(0, 1L << 32));

        // The sender: scheduled send times, delayed to the end of a stall; flows in command-line order.
        double end = s.Flows.Max(f => f.EndMs) + 1;
        var stalls = new List<(double From, double To)>();
        if (c.StallsPerSecond > 0)
        {
            for (double t = 0; t < end;)
            {
                t += -Math.Log(1 - rng.NextDouble()) * 1000.0 / c.StallsPerSecond;
                var d = rng.NextDouble() * c.MaxStallMs;
                stalls.Add((t, t + d));
                t += d;
            }
        }
        var sends = new List<(double T, int Order, FlowPlan Flow, long Seq)>();
        foreach (var (f, order) in s.Flows.Select((f, i) => (f, i)))
        {
            for (long k = 0; k < f.Count; k++)
            {
                double t = f.StartMs + (s.PairedStart ? Math.Max(0, k - 1) : k) * 1000.0 / f.Pps;
                foreach (var st in stalls)
                    if (t >= st.From && t < st.To) { t = st.To; break; }
                sends.Add((t, order, f, k));
            }
        }
        // udpflows: due together, in command-line order, a flow's datagrams in sequence (a paired start)
        sends.Sort((a, b) => a.T != b.T ? a.T.CompareTo(b.T) : a.Order != b.Order ? a.Order.CompareTo(b.Order) : a.Seq.CompareTo(b.Seq));

        var queueOf = s.Flows.ToDictionary(f => f.Port, f => new int[f.Count]);
        var timeOf = s.Flows.ToDictionary(f => f.Port, f => new long[f.Count]);
        var stats = new List<StatsSample>();
        double origin = sends[0].T, nextRemap = c.PhaseMs;
        long Us(double ms) => (long)Math.Round((ms - origin) * 1000);
        int i = 0;
        while (i < sends.Count)
        {
            if (nextRemap <= sends[i].T)
            {
                sel.Remap((uint)s.Queues);
                stats.Add(new StatsSample(Us(nextRemap + 0.5), sel.Stats(s.Queues)));
                nextRemap += periodMs + rng.NextDouble() * c.TimerLateMs;
                continue;
            }
            var (t, _, flow, seq) = sends[i++];
            queueOf[flow.Port][seq] = sel.Select(hash[flow.Port], (uint)s.Queues);
            timeOf[flow.Port][seq] = Us(t);
        }
        sel.Remap((uint)s.Queues);
        stats.Add(new StatsSample(Us(nextRemap + 0.5), sel.Stats(s.Queues)));
        return new ScenarioObservation(s, Sent(s, stalls), Render(s, queueOf, timeOf, stats), Dmesg: []);
    }

    private static UdpflowsReport Sent(CheckScenario s, List<(double From, double To)> stalls)
    {
        long late = stalls.Count == 0 ? 0 : (long)(stalls.Max(x => x.To - x.From) * 1000);
        return new UdpflowsReport(0, s.Flows.Select(f => new SentFlow(f.Port, f.Pps, f.StartMs, f.Count, f.Count, 0, 0, 0, late)).ToList(),
            (long)s.Flows.Max(f => f.EndMs), Stopped: false);
    }

    private static MqtapReport Render(CheckScenario s, Dictionary<int, int[]> queueOf, Dictionary<int, long[]> timeOf, List<StatsSample> stats)
    {
        var segments = new List<FlowSegment>();
        var buckets = new List<FlowBucket>();
        var flows = new List<FlowSummary>();
        long bucketUs = s.BucketMs * 1000L;
        foreach (var f in s.Flows)
        {
            var q = queueOf[f.Port];
            var t = timeOf[f.Port];
            long first = 0;
            for (long k = 1; k <= f.Count; k++)
            {
                if (k < f.Count && q[k] == q[first]) continue;
                segments.Add(new FlowSegment(f.Port, q[first], first, k - 1, k - first, t[first], t[k - 1]));
                first = k;
            }
            foreach (var g in Enumerable.Range(0, f.Count).GroupBy(k => t[k] / bucketUs).OrderBy(g => g.Key))
            {
                var perSlot = new long[s.Queues];
                foreach (var k in g) perSlot[q[k]]++;
                buckets.Add(new FlowBucket(f.Port, g.Key * s.BucketMs, perSlot));
            }
            flows.Add(new FlowSummary(f.Port, f.Count, f.Count, 0, 0, f.Count - 1, t[^1], 0));
        }
        var identity = new SlotMap(long.MinValue / 2, Enumerable.Range(0, s.Queues).ToList());
        var slots = Enumerable.Range(0, s.Queues).Select(k => new SlotSummary(k, buckets.Sum(b => b.FramesPerSlot[k]), 0, 0)).ToList();
        return new MqtapReport("model", s.Queues, s.BucketMs, 0, [identity], [], stats, buckets, segments, [], flows, slots,
            0, 0, Other: 0, DetachedReads: 0, UnknownFlows: 0, EndReason: "idle");
    }

    /// <summary>The reference model, one segment per datagram (udpflows' 64-byte datagrams are not GSO).</summary>
    private sealed class ModelBalancer(DynamicBalancer b) : IQueueSelectorForReplay
    {
        public int Select(uint hash, uint queues) => b.Select(hash, 1, queues);
        public void Remap(uint queues) => b.Remap(queues);
        public BalanceStats Stats(int queues) => new BalanceStats(false, b.FlowCount, b.Migrations,
            Enumerable.Range(0, queues).Select(q => new QueueBalance(q, b.LastLoad(q), b.FlowsOnQueue(q))).ToList())
        {
            Balancers = 1, Device = "model", Policy = Policy.Dynamic.Name(), Periods = b.Periods, Requested = 1,
        };
    }
}

/// <summary>The balancer under replay: the model by default; tests substitute broken ones to show
/// that the analyzers catch them.</summary>
public interface IQueueSelectorForReplay
{
    int Select(uint hash, uint queues);
    void Remap(uint queues);
    BalanceStats Stats(int queues);
}
