using System.Collections;
using System.Diagnostics.CodeAnalysis;

namespace KmodBalance.Model.Balancing;

/// <summary>
/// The thesis's dynamic flow balancer, decision for decision as docs/BALANCER.md states
/// it (mapper cases 1-6, remapper steps 1-6). All counters are u32 and wrap as in C.
/// Deterministic: no decision depends on dictionary order.
/// </summary>
public sealed class DynamicBalancer : IQueueSelector
{
    /// <summary>tun's <c>MAX_TAP_QUEUES</c>: the per-queue tables have this many slots.</summary>
    public const int MaxQueues = 256;

    private sealed class Flow
    {
        public ushort Queue;
        public uint Packets;
        public uint Bytes;
        public ulong Updated;
    }

    private readonly Dictionary<uint, Flow> _flows = [];
    private readonly uint[] _lastLoad = new uint[MaxQueues];
    private readonly uint[] _flowsOn = new uint[MaxQueues];
    private readonly uint _threshold;
    private readonly uint _maxFlows;

    public DynamicBalancer(uint threshold, int maxFlows = 4096)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxFlows);
        _threshold = threshold;
        _maxFlows = (uint)maxFlows;
        FlowQueues = new QueueView(_flows);
    }

    public string Name => "dynamic";

    /// <summary>Minimum load difference (packets per period) that triggers a migration.</summary>
    public uint Threshold => _threshold;

    /// <summary>Flow hash -> queue, for every recorded flow.</summary>
    public IReadOnlyDictionary<uint, ushort> FlowQueues { get; }

    /// <summary>Flows moved by the remapper since creation (u32, wraps).</summary>
    public uint Migrations { get; private set; }

    /// <summary>Recorded flows (<c>flowCount</c>).</summary>
    public uint FlowCount { get; private set; }

    /// <summary>What the last <see cref="Remap"/> did.</summary>
    public RemapResult LastRemap { get; private set; } = RemapResult.None;

    /// <summary><c>flows[q]</c>: flows mapped to queue <paramref name="q"/>.</summary>
    public uint FlowsOnQueue(int q) => _flowsOn[CheckQueue(q)];

    /// <summary><c>lastLoad[q]</c>: load of the last completed period, after its migrations.</summary>
    public uint LastLoad(int q) => _lastLoad[CheckQueue(q)];

    /// <summary>The table entry of flow <paramref name="hash"/>, if recorded.</summary>
    public bool TryGetFlow(uint hash, out FlowState state)
    {
        if (_flows.TryGetValue(hash, out var f))
        {
            state = new FlowState(f.Queue, f.Packets, f.Bytes, f.Updated);
            return true;
        }
        state = default;
        return false;
    }

    /// <summary>The mapper: called for every packet (BALANCER.md cases 1-6).</summary>
    public ushort Select(uint hash, uint length, uint queueCount, ulong now = 0)
    {
        CheckQueueCount(queueCount);
        if (queueCount == 0)
            return 0;                                           // case 1
        if (_flows.TryGetValue(hash, out var flow))
        {
            if (flow.Queue >= queueCount)                       // case 3: queues were detached
            {
                _flowsOn[flow.Queue]--;
                flow.Queue = LeastLoaded(queueCount);
                _flowsOn[flow.Queue]++;
            }
        }                                                       // case 2 otherwise
        else if (FlowCount < _maxFlows)                         // case 4
        {
            flow = new Flow { Queue = LeastLoaded(queueCount) };
            _flows.Add(hash, flow);
            _flowsOn[flow.Queue]++;
            FlowCount++;
        }
        else
        {
            return HashBalancer.QueueOf(hash, queueCount);      // case 5: table full
        }
        unchecked                                               // case 6
        {
            flow.Packets++;
            flow.Bytes += length;
        }
        flow.Updated = now;
        return flow.Queue;
    }

    /// <summary>The remapper: called every period (BALANCER.md steps 1-6).</summary>
    public void Remap(uint queueCount)
    {
        CheckQueueCount(queueCount);
        int n = (int)queueCount;

        // 1. Drop idle flows and flows on detached queues.
        var dropped = new List<uint>();
        foreach (var (hash, f) in _flows)
        {
            if (f.Packets == 0 || f.Queue >= queueCount)
                dropped.Add(hash);
        }
        dropped.Sort();
        foreach (var hash in dropped)
        {
            _flowsOn[_flows[hash].Queue]--;
            _flows.Remove(hash);
            FlowCount--;
        }

        // 2. Per-queue load and per-queue flow lists.
        var load = new uint[n];
        var onQueue = new List<(uint Hash, Flow Flow)>[n];
        for (int q = 0; q < n; q++)
            onQueue[q] = [];
        foreach (var (hash, f) in _flows)
        {
            unchecked { load[f.Queue] += f.Packets; }
            onQueue[f.Queue].Add((hash, f));
        }

        // 3. Queues by (load, index) ascending.
        var order = Enumerable.Range(0, n).OrderBy(q => load[q]).ThenBy(q => q).ToArray();

        // 4. Pair the i-th lightest with the i-th heaviest; pairs are disjoint.
        var moves = new List<FlowMove>();
        for (int i = 0; i < n / 2; i++)
        {
            int light = order[i], heavy = order[n - 1 - i];
            uint diff = unchecked(load[heavy] - load[light]);
            if (diff <= _threshold)
                continue;
            uint budget = diff / 2;
            var walk = onQueue[heavy];
            walk.Sort((a, b) => a.Flow.Packets != b.Flow.Packets
                ? b.Flow.Packets.CompareTo(a.Flow.Packets)
                : a.Hash.CompareTo(b.Hash));
            foreach (var (hash, f) in walk)
            {
                if (f.Packets >= budget)
                    continue;
                f.Queue = (ushort)light;
                _flowsOn[heavy]--;
                _flowsOn[light]++;
                unchecked
                {
                    load[heavy] -= f.Packets;
                    load[light] += f.Packets;
                    Migrations++;
                }
                budget -= f.Packets;
                moves.Add(new FlowMove(hash, (ushort)heavy, (ushort)light, f.Packets));
            }
        }

        // 5. Remember the loads; 6. start a new period.
        for (int q = 0; q < MaxQueues; q++)
            _lastLoad[q] = q < n ? load[q] : 0;
        foreach (var f in _flows.Values)
            f.Packets = 0;
        LastRemap = new RemapResult(moves, dropped, load);
    }

    void IQueueSelector.EndPeriod(uint queueCount) => Remap(queueCount);

    void IQueueSelector.GuestSent(uint hash, ushort queue, ulong now) { }

    /// <summary>The queue q &lt; n with the smallest (lastLoad[q], flows[q], q).</summary>
    private ushort LeastLoaded(uint n)
    {
        int best = 0;
        for (int q = 1; q < n; q++)
        {
            if (_lastLoad[q] < _lastLoad[best]
                || (_lastLoad[q] == _lastLoad[best] && _flowsOn[q] < _flowsOn[best]))
                best = q;
        }
        return (ushort)best;
    }

    private static void CheckQueueCount(uint queueCount)
    {
        if (queueCount > MaxQueues)
            throw new ArgumentOutOfRangeException(nameof(queueCount), queueCount, $"tun supports at most {MaxQueues} queues");
    }

    private static int CheckQueue(int q)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(q);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(q, MaxQueues);
        return q;
    }

    /// <summary>Read-only hash -> queue view over the flow table (no copy).</summary>
    private sealed class QueueView(Dictionary<uint, Flow> flows) : IReadOnlyDictionary<uint, ushort>
    {
        public ushort this[uint key] => flows[key].Queue;
        public IEnumerable<uint> Keys => flows.Keys;
        public IEnumerable<ushort> Values => flows.Values.Select(f => f.Queue);
        public int Count => flows.Count;
        public bool ContainsKey(uint key) => flows.ContainsKey(key);

        public bool TryGetValue(uint key, [MaybeNullWhen(false)] out ushort value)
        {
            bool found = flows.TryGetValue(key, out var f);
            value = found ? f!.Queue : default;
            return found;
        }

        public IEnumerator<KeyValuePair<uint, ushort>> GetEnumerator() =>
            flows.Select(kv => KeyValuePair.Create(kv.Key, kv.Value.Queue)).GetEnumerator();

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
