using System.Collections;
using System.Diagnostics.CodeAnalysis;

namespace KmodBalance.Model.Balancing;

/// <summary>
/// The thesis's dynamic flow balancer, decision for decision as docs/BALANCER.md states
/// it: load in segments, the admission filter (<c>seen</c>), untracked load, unplaced
/// flows after a detach, mapper cases 1-5, remapper steps 1-6. All counters are u32 and
/// wrap as in C. Deterministic: no decision depends on dictionary order.
/// The kernel's per-period slots are not modelled: without concurrency a flow's slot of
/// the current period is its one counter here, and the other slot is always 0.
/// </summary>
public sealed class DynamicBalancer : IQueueSelector
{
    /// <summary>tun's <c>MAX_TAP_QUEUES</c>: the per-queue tables have this many slots.</summary>
    public const int MaxQueues = 256;

    /// <summary>tun's <c>MAX_TAP_FLOWS</c>: the flow table holds at most this many flows.</summary>
    public const int MaxTapFlows = 4096;

    /// <summary>Bits of the admission filter; a flow's bit is <c>hash &gt;&gt; 19</c>.</summary>
    public const int SeenBits = 8192;

    /// <summary>The queue of a flow whose queue was taken away by a detach.</summary>
    public const ushort Unplaced = 0xffff;

    private sealed class Flow
    {
        public ushort Queue;
        public uint Packets;
    }

    private readonly Dictionary<uint, Flow> _flows = [];
    private readonly uint[] _lastLoad = new uint[MaxQueues];
    private readonly uint[] _flowsOn = new uint[MaxQueues];
    private readonly uint[] _untracked = new uint[MaxQueues];
    private readonly BitArray _seen = new(SeenBits);
    private readonly uint _threshold;
    private readonly uint _maxFlows;

    public DynamicBalancer(uint threshold, int maxFlows = MaxTapFlows)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxFlows);
        _threshold = threshold;
        _maxFlows = (uint)maxFlows;
        FlowQueues = new QueueView(_flows);
    }

    public string Name => Policy.Dynamic.Name();

    /// <summary>Minimum load difference (segments per period) that triggers a migration.</summary>
    public uint Threshold => _threshold;

    /// <summary>Flow hash -> queue, for every flow in the table (<see cref="Unplaced"/> for an unplaced one).</summary>
    public IReadOnlyDictionary<uint, ushort> FlowQueues { get; }

    /// <summary>Flows moved by the remapper since creation (u32, wraps).</summary>
    public uint Migrations { get; private set; }

    /// <summary>Flows in the table (<c>flowCount</c>).</summary>
    public uint FlowCount { get; private set; }

    /// <summary>Remaps since creation (the kernel's <c>epoch</c>, <c>periods</c> in the statistics).</summary>
    public uint Periods { get; private set; }

    /// <summary>What the last <see cref="Remap"/> did.</summary>
    public RemapResult LastRemap { get; private set; } = RemapResult.None;

    /// <summary><c>flows[q]</c>: flows mapped to queue <paramref name="q"/>.</summary>
    public uint FlowsOnQueue(int q) => _flowsOn[TunQueues.CheckQueue(q)];

    /// <summary><c>lastLoad[q]</c>: load of the last completed period, after its migrations.</summary>
    public uint LastLoad(int q) => _lastLoad[TunQueues.CheckQueue(q)];

    /// <summary><c>untracked[q]</c>: segments steered to <paramref name="q"/> this period by flows not in the table.</summary>
    public uint Untracked(int q) => _untracked[TunQueues.CheckQueue(q)];

    /// <summary>Bits set in the admission filter this period.</summary>
    public int SeenCount
    {
        get
        {
            int n = 0;
            for (int i = 0; i < SeenBits; i++)
                n += _seen[i] ? 1 : 0;
            return n;
        }
    }

    /// <summary>The table entry of flow <paramref name="hash"/>, if it is in the table.</summary>
    public bool TryGetFlow(uint hash, out FlowState state)
    {
        if (_flows.TryGetValue(hash, out var f))
        {
            state = new FlowState(f.Queue, f.Packets);
            return true;
        }
        state = default;
        return false;
    }

    /// <summary>The mapper: called for every packet of <paramref name="segments"/> segments (BALANCER.md cases 1-5).</summary>
    public ushort Select(uint hash, uint segments, uint queueCount, ulong now = 0) =>
        Map(hash, segments, queueCount, mayLock: true, mayAllocate: true);

    /// <summary>
    /// The mapper where the kernel may not take the lock (IRQs disabled, as under netpoll):
    /// cases 3 and 4 become case 5.
    /// </summary>
    public ushort SelectWithoutLock(uint hash, uint segments, uint queueCount) =>
        Map(hash, segments, queueCount, mayLock: false, mayAllocate: false);

    /// <summary>The mapper when a new entry cannot be allocated (<c>GFP_ATOMIC</c> failed): case 4 becomes case 5.</summary>
    public ushort SelectWithoutMemory(uint hash, uint segments, uint queueCount) =>
        Map(hash, segments, queueCount, mayLock: true, mayAllocate: false);

    private ushort Map(uint hash, uint segments, uint queueCount, bool mayLock, bool mayAllocate)
    {
        TunQueues.CheckQueueCount(queueCount);
        if (queueCount == 0)
            return 0;                                           // case 1
        bool known = _flows.TryGetValue(hash, out var flow);
        if (known && flow!.Queue < queueCount)
        {
            unchecked { flow.Packets += segments; }             // case 2
            return flow.Queue;
        }
        if (mayLock && known)                                   // case 3: unplaced or detached
        {
            if (flow!.Queue != Unplaced)
                _flowsOn[flow.Queue]--;
            flow.Queue = LeastLoaded(queueCount);
            _flowsOn[flow.Queue]++;
            unchecked { flow.Packets += segments; }
            return flow.Queue;
        }
        int bit = TunQueues.SeenBit(hash);
        if (mayAllocate && _seen[bit] && FlowCount < _maxFlows) // case 4: admitted
        {
            flow = new Flow { Queue = LeastLoaded(queueCount), Packets = segments };
            _flows.Add(hash, flow);
            _flowsOn[flow.Queue]++;
            FlowCount++;
            return flow.Queue;
        }
        _seen[bit] = true;                                      // case 5
        var q = HashBalancer.QueueOf(hash, queueCount);
        Count(q, segments);
        return q;
    }

    /// <summary>
    /// Segments counted on a flow that a packet-path CPU had found before a remap and counts
    /// after it (the kernel's atomic add lands in the new period). The flow must be in the table.
    /// </summary>
    public void AddToFlow(uint hash, uint segments)
    {
        unchecked { _flows[hash].Packets += segments; }
    }

    /// <summary><paramref name="segments"/> steered to <paramref name="queue"/> outside the mapper (XDP): untracked load.</summary>
    public void Count(ushort queue, uint segments)
    {
        unchecked { _untracked[TunQueues.CheckQueue(queue)] += segments; }
    }

    /// <summary>The remapper: called every period (BALANCER.md steps 1-6). True while the table holds a flow.</summary>
    public bool Remap(uint queueCount)
    {
        TunQueues.CheckQueueCount(queueCount);
        int n = (int)queueCount;

        // 1. Drop idle flows and flows not on an attached queue.
        var dropped = new List<uint>();
        foreach (var (hash, f) in _flows)
        {
            if (f.Packets == 0 || f.Queue >= queueCount)
                dropped.Add(hash);
        }
        dropped.Sort();
        foreach (var hash in dropped)
        {
            var q = _flows[hash].Queue;
            if (q != Unplaced)
                _flowsOn[q]--;
            _flows.Remove(hash);
            FlowCount--;
        }

        // 2. Per-queue load (untracked segments included) and per-queue flow lists.
        var load = new uint[n];
        var onQueue = new List<(uint Hash, Flow Flow)>[n];
        for (int q = 0; q < n; q++)
        {
            load[q] = _untracked[q];
            onQueue[q] = [];
        }
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
        Array.Clear(_untracked);
        _seen.SetAll(false);
        unchecked { Periods++; }
        LastRemap = new RemapResult(moves, dropped, load);
        return FlowCount != 0;
    }

    /// <summary>
    /// Queue <paramref name="index"/> was detached and tun moved queue <paramref name="last"/>
    /// into its place: the flows of both become unplaced, and neither queue's load and
    /// untracked count survive (BALANCER.md "Detach").
    /// </summary>
    public void Detach(ushort index, ushort last)
    {
        TunQueues.CheckQueue(index);
        TunQueues.CheckQueue(last);
        foreach (var f in _flows.Values)
        {
            if (f.Queue != index && f.Queue != last)
                continue;
            _flowsOn[f.Queue]--;
            f.Queue = Unplaced;
        }
        _lastLoad[index] = _lastLoad[last] = 0;
        _untracked[index] = _untracked[last] = 0;
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
