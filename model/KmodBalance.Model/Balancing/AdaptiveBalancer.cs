using System.Collections;

namespace KmodBalance.Model.Balancing;

/// <summary>
/// The <c>adaptive</c> balancer, decision for decision as docs/BALANCER.md ("## adaptive")
/// states it. It keeps dynamic's frame (segments, the admission filter, untracked load,
/// unplaced flows after a detach, one remap per period) and changes three things:
/// <list type="bullet">
/// <item>placement: the queue the guest last sent the flow on (automq's learned queue) unless
/// that queue is clearly heavier than the lightest, else the queue its packets already go to
/// under the same condition, else the lightest by last period's load plus what was already
/// placed this period (no herding);</item>
/// <item>remap: a flow moves only when the move lowers the larger of the two queues' loads by at
/// least a threshold relative to that load, and not again for <see cref="HoldPeriods"/> periods;</item>
/// <item>a move (and a new flow's first placement) completes only on a packet that finds the old
/// queue's ring past the flow's last packet there, so no packet of the flow can overtake another.
/// Only a moving flow marks its packets (the kernel remembers the last skb it steered to the old
/// queue, and the last one it found in the ring, its tail, and looks for them in the ring). A mark
/// the full ring dropped never shows up there, so its absence proves the ring past the flow only
/// once the tail has left too; without a tail only an empty ring does. A flow that keeps feeding
/// a full old ring would never see it past its packets: its first packet that finds the ring full
/// pauses it instead, and its packets are dropped at that ring (as the full ring drops them) until
/// the ring has let go of the newest packet it held then; then it moves.</item>
/// </list>
/// All counters are u32 and wrap as in C (queue estimates are u64). Deterministic: no decision
/// depends on dictionary order.
/// </summary>
public sealed class AdaptiveBalancer : IQueueSelector
{
    /// <summary>A relative imbalance of 1/2^3 = 12.5% of the heavier load is tolerated.</summary>
    public const int ImbalanceShift = 3;

    /// <summary>A flow moved by remap number p may move again at remap p + 4 at the earliest.</summary>
    public const uint HoldPeriods = 4;

    /// <summary>tun's flow ageing (<c>TUN_FLOW_EXPIRE</c>, 3 s) in the units of <c>now</c> (microseconds).</summary>
    public const ulong LearnedAgeing = 3_000_000;

    private sealed class Flow
    {
        public ushort Queue;      // where its packets go now
        public ushort Next;       // where it belongs (== Queue once a move completed)
        public uint Packets;      // segments this period
        public uint HeldUntil;    // first remap number that may move it
        public bool Marked;       // moving, and Mark is its last packet on Queue
        public bool MarkQueued;   // that packet entered the ring (the full ring did not drop it)
        public uint Mark;         // produced[Queue] right after that packet
        public bool Tailed;       // moving, and Tail is its last packet found in Queue's ring
        public uint Tail;         // produced[Queue] right after that packet
        public bool Unsure;       // a packet after Tail may have reached the ring unseen (its qdisc held it)
        public ushort DropQueue = DynamicBalancer.Unplaced; // its packets are dropped at this ring (paused there, then stragglers)
        public bool PauseAged;    // paused, and a remap noted PauseTaken
        public uint PauseTaken;   // consumed[Queue] at that remap

        /// <summary>Paused: moving, and its packets are dropped at its old queue until the ring is past <see cref="Tail"/>.</summary>
        public bool Paused => DropQueue == Queue && Queue != Next;

        /// <summary>The flow keeps no packet of its old queue: the next locked packet starts from an empty ring.</summary>
        public void Unmark() => Marked = Tailed = Unsure = false;
    }

    private readonly Dictionary<uint, Flow> _flows = [];
    private readonly Dictionary<uint, (ushort Queue, ulong Updated)> _learned = [];
    private readonly uint[] _lastLoad = new uint[DynamicBalancer.MaxQueues];
    private readonly uint[] _flowsOn = new uint[DynamicBalancer.MaxQueues];
    private readonly uint[] _untracked = new uint[DynamicBalancer.MaxQueues];
    private readonly ulong[] _placed = new ulong[DynamicBalancer.MaxQueues];
    private readonly uint[] _produced = new uint[DynamicBalancer.MaxQueues];
    private readonly uint[] _consumed = new uint[DynamicBalancer.MaxQueues];
    private readonly bool[] _pending = new bool[DynamicBalancer.MaxQueues];
    private readonly BitArray _seen = new(DynamicBalancer.SeenBits);
    private Flow? _lastMarked;  // the flow whose mark is the packet the mapper answered last
    private readonly uint _threshold;
    private readonly uint _maxFlows;
    private readonly uint _ringSlots;
    private ulong _weight = 1;

    /// <param name="threshold">Floor of the move threshold in segments per period (the relative part is 1/8 of the heavier load).</param>
    /// <param name="maxFlows">Flow table bound (tun's <c>MAX_TAP_FLOWS</c>); also bounds the learned table.</param>
    /// <param name="ringSlots">
    /// Packets a ring holds when full (tun's ptr_ring size; the driver's 8; the simulator's 500). A
    /// moving flow whose old ring is full pauses. The default never fills: no flow pauses.
    /// </param>
    public AdaptiveBalancer(uint threshold, int maxFlows = DynamicBalancer.MaxTapFlows, uint ringSlots = uint.MaxValue)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxFlows);
        ArgumentOutOfRangeException.ThrowIfZero(ringSlots);
        _threshold = threshold;
        _maxFlows = (uint)maxFlows;
        _ringSlots = ringSlots;
    }

    public string Name => Policy.Adaptive.Name();

    /// <summary>Flows the remapper decided to move since creation (u32, wraps).</summary>
    public uint Migrations { get; private set; }

    /// <summary>Moves that completed on the packet path (old queue drained; includes first placements away from the hash queue).</summary>
    public uint Switches { get; private set; }

    /// <summary>Flows in the table.</summary>
    public uint FlowCount { get; private set; }

    /// <summary>
    /// The packet the mapper answered last is dropped at its queue's ring instead of entering it:
    /// its flow paused there (kernel: <c>tun_balance_produce()</c> in tun_net_xmit()).
    /// </summary>
    public bool LastDropped { get; private set; }

    /// <summary>Flows that paused at a full ring since creation (u32, wraps).</summary>
    public uint Pauses { get; private set; }

    /// <summary>Packets of paused flows dropped at their ring since creation (u32, wraps).</summary>
    public uint PauseDrops { get; private set; }

    /// <summary>Remaps since creation.</summary>
    public uint Periods { get; private set; }

    /// <summary>What the last <see cref="Remap"/> did.</summary>
    public RemapResult LastRemap { get; private set; } = RemapResult.None;

    /// <summary><c>flows[q]</c>: flows that belong to <paramref name="q"/> (their <c>next</c>).</summary>
    public uint FlowsOnQueue(int q) => _flowsOn[TunQueues.CheckQueue(q)];

    /// <summary><c>lastLoad[q]</c>: load of the last completed period, after its moves.</summary>
    public uint LastLoad(int q) => _lastLoad[TunQueues.CheckQueue(q)];

    /// <summary><c>untracked[q]</c>: segments steered to <paramref name="q"/> this period by flows not in the table.</summary>
    public uint Untracked(int q) => _untracked[TunQueues.CheckQueue(q)];

    /// <summary><c>placed[q]</c>: estimated segments of the flows placed on <paramref name="q"/> this period.</summary>
    public ulong Placed(int q) => _placed[TunQueues.CheckQueue(q)];

    /// <summary>Packets steered to <paramref name="q"/> that are still in its ring: <c>produced[q] - consumed[q]</c>.</summary>
    public uint Queued(int q) => unchecked(_produced[TunQueues.CheckQueue(q)] - _consumed[q]);

    /// <summary>The table entry of flow <paramref name="hash"/>, if it is in the table.</summary>
    public bool TryGetFlow(uint hash, out AdaptiveFlowState state)
    {
        if (_flows.TryGetValue(hash, out var f))
        {
            state = new AdaptiveFlowState(f.Queue, f.Next, f.Packets, f.HeldUntil);
            return true;
        }
        state = default;
        return false;
    }

    /// <summary>Flow hash -> (queue, next) for every flow in the table, by hash.</summary>
    public IEnumerable<(uint Hash, ushort Queue, ushort Next)> Flows =>
        _flows.OrderBy(kv => kv.Key).Select(kv => (kv.Key, kv.Value.Queue, kv.Value.Next));

    /// <summary>Bits set in the admission filter (<c>seen</c>).</summary>
    public int SeenCount
    {
        get
        {
            int n = 0;
            for (int i = 0; i < DynamicBalancer.SeenBits; i++)
                n += _seen[i] ? 1 : 0;
            return n;
        }
    }

    /// <summary>The mapper: called for every packet of <paramref name="segments"/> segments (BALANCER.md adaptive cases 1-5).</summary>
    public ushort Select(uint hash, uint segments, uint queueCount, ulong now = 0) =>
        Map(hash, segments, queueCount, now, mayAllocate: true);

    /// <summary>
    /// The mapper with IRQs disabled (netpoll), where the kernel takes no lock: a flow in the
    /// table whose packets go to an attached queue keeps that queue (a move waits for a packet
    /// that may lock); every other packet is steered as case 5.
    /// </summary>
    public ushort SelectWithoutLock(uint hash, uint segments, uint queueCount)
    {
        TunQueues.CheckQueueCount(queueCount);
        _lastMarked = null;
        LastDropped = false;
        if (queueCount == 0)
            return 0;
        if (_flows.TryGetValue(hash, out var flow) && flow.Queue < queueCount)
        {
            unchecked { flow.Packets += segments; }
            if (flow.DropQueue == flow.Queue)
                DropAtRing();           // the tail still covers the flow
            else
            {
                unchecked { _produced[flow.Queue]++; }
                flow.Unmark();          // this packet is behind the mark and the tail: the next locked packet marks again
            }
            return flow.Queue;
        }
        var q = Untracked(hash, segments, queueCount);
        if (flow is not null && flow.DropQueue == q)
        {
            // its queue was detached while it dropped here: the ring drops it as any of its packets
            unchecked { _produced[q]--; }
            DropAtRing();
        }
        return q;
    }

    /// <summary>The mapper when a new entry cannot be allocated (<c>GFP_ATOMIC</c> failed): case 4 becomes case 5.</summary>
    public ushort SelectWithoutMemory(uint hash, uint segments, uint queueCount, ulong now = 0) =>
        Map(hash, segments, queueCount, now, mayAllocate: false);

    /// <summary><paramref name="segments"/> steered to <paramref name="queue"/> outside the mapper (XDP frames): untracked load, queued on its ring.</summary>
    public void Count(ushort queue, uint segments)
    {
        _lastMarked = null;
        LastDropped = false;
        unchecked
        {
            _untracked[TunQueues.CheckQueue(queue)] += segments;
            _produced[queue] += segments;
        }
    }

    private ushort Map(uint hash, uint segments, uint queueCount, ulong now, bool mayAllocate)
    {
        TunQueues.CheckQueueCount(queueCount);
        _lastMarked = null;
        LastDropped = false;
        if (queueCount == 0)
            return 0;                                                   // case 1
        if (_flows.TryGetValue(hash, out var flow))
        {
            if (flow.Next >= queueCount)                                // case 3: unplaced or detached
            {
                if (flow.Next != DynamicBalancer.Unplaced)
                    _flowsOn[flow.Next]--;
                flow.Next = Place(hash, flow.Queue, queueCount, now);
                _flowsOn[flow.Next]++;
            }
            unchecked { flow.Packets += segments; }                     // case 2
            return Steer(flow, queueCount);
        }
        if (mayAllocate && _seen[TunQueues.SeenBit(hash)] && FlowCount < _maxFlows)  // case 4: admitted
        {
            var first = HashBalancer.QueueOf(hash, queueCount);          // where its first packet went
            flow = new Flow
            {
                Queue = first,
                Next = Place(hash, first, queueCount, now),
                Packets = segments,
                HeldUntil = Periods,
            };
            _flows.Add(hash, flow);
            _flowsOn[flow.Next]++;
            FlowCount++;
            return Steer(flow, queueCount);
        }
        return Untracked(hash, segments, queueCount);                   // case 5
    }

    /// <summary>Case 5: steered by hash, counted as untracked, its admission bit set.</summary>
    private ushort Untracked(uint hash, uint segments, uint queueCount)
    {
        _lastMarked = null;
        _seen[TunQueues.SeenBit(hash)] = true;
        var q = HashBalancer.QueueOf(hash, queueCount);
        unchecked
        {
            _untracked[q] += segments;
            _produced[q]++;
        }
        return q;
    }

    /// <summary>The guest sent a packet of flow <paramref name="hash"/> on <paramref name="queue"/>: automq's learned queue.</summary>
    public void GuestSent(uint hash, ushort queue, ulong now = 0)
    {
        if (_learned.ContainsKey(hash) || _learned.Count < _maxFlows)
            _learned[hash] = (queue, now);
    }

    /// <summary><paramref name="packets"/> packets left <paramref name="queue"/>'s ring (delivered to the guest or dropped).</summary>
    public void Dequeued(ushort queue, uint packets)
    {
        // a ring gives at most what it holds
        unchecked { _consumed[TunQueues.CheckQueue(queue)] += Math.Min(packets, Queued(queue)); }
    }

    /// <summary>
    /// The last <paramref name="packets"/> packets steered to <paramref name="queue"/> (by the mapper
    /// or <see cref="Count"/>) found its ring full and were dropped: they never entered it. A mark
    /// among them is not in the ring, which the kernel sees as an skb the ring does not hold.
    /// </summary>
    public void Dropped(ushort queue, uint packets)
    {
        unchecked { _produced[TunQueues.CheckQueue(queue)] -= Math.Min(packets, Queued(queue)); }
        if (_lastMarked is { } f && f.Queue == queue && packets > 0)
            f.MarkQueued = false;
        _lastMarked = null;
    }

    /// <summary>
    /// Whether <paramref name="queue"/>'s qdisc holds packets or runs (kernel: the netdev queue's
    /// qdisc, which a detach does not move), so that a packet steered there may not have reached
    /// the ring yet. The model's packets enter the ring when steered; this only tells it what the
    /// kernel would see.
    /// </summary>
    public void QdiscPending(ushort queue, bool pending) => _pending[TunQueues.CheckQueue(queue)] = pending;

    void IQueueSelector.EndPeriod(uint queueCount) => Remap(queueCount);

    /// <summary>The remapper: called every period (BALANCER.md adaptive steps 1-6). True while the table holds a flow.</summary>
    public bool Remap(uint queueCount)
    {
        TunQueues.CheckQueueCount(queueCount);
        int n = (int)queueCount;

        // 1. A pause seen by a second remap gives up its move. A flow that moved on stops dropping
        // at its old ring once that queue's qdisc has let go of what it sent before the switch. Drop idle flows whose next packet, steered by hash,
        // cannot overtake their packets still queued.
        var dropped = new List<uint>();
        foreach (var (hash, f) in _flows)
        {
            AgePause(f);
            if (f.DropQueue != DynamicBalancer.Unplaced && f.DropQueue != f.Queue && !_pending[f.DropQueue])
                f.DropQueue = DynamicBalancer.Unplaced;
            if (f.Packets == 0 && MayLeave(hash, f, queueCount))
                dropped.Add(hash);
        }
        dropped.Sort();
        foreach (var hash in dropped)
        {
            var next = _flows[hash].Next;
            if (next != DynamicBalancer.Unplaced)
                _flowsOn[next]--;
            _flows.Remove(hash);
            FlowCount--;
        }

        // 2. Per-queue load: untracked segments plus the flows that belong to the queue.
        var load = new uint[n];
        var candidates = new List<(uint Hash, Flow Flow)>[n];
        for (int q = 0; q < n; q++)
        {
            load[q] = _untracked[q];
            candidates[q] = [];
        }
        foreach (var (hash, f) in _flows)
        {
            if (f.Next >= queueCount)
                continue;
            unchecked { load[f.Next] += f.Packets; }
            if (f.Queue == f.Next && f.Packets > 0 && unchecked((int)(Periods - f.HeldUntil)) >= 0)
                candidates[f.Next].Add((hash, f));
        }
        foreach (var list in candidates)
        {
            list.Sort((a, b) => a.Flow.Packets != b.Flow.Packets
                ? b.Flow.Packets.CompareTo(a.Flow.Packets)
                : a.Hash.CompareTo(b.Hash));
        }

        // 3. Queues by (load, index) ascending. 4. The lightest queue not yet paired takes flows from
        // the heaviest unpaired queue that has a flow worth moving to it; then the next lightest.
        var order = Enumerable.Range(0, n).OrderBy(q => load[q]).ThenBy(q => q).ToArray();
        var paired = new bool[n];
        var moves = new List<FlowMove>();
        for (int i = 0; i < n; i++)
        {
            int light = order[i];
            if (paired[light])
                continue;
            int heavy = -1;
            for (int j = n - 1; j > i && heavy < 0; j--)
            {
                if (!paired[order[j]] && MovesFrom(candidates[order[j]], load[order[j]], load[light]))
                    heavy = order[j];
            }
            if (heavy < 0)
                break;  // a heavier light queue could take even less
            paired[light] = paired[heavy] = true;
            uint threshold = Threshold(load[heavy]);
            foreach (var (hash, f) in candidates[heavy])
            {
                if (!Worth(f.Packets, load[heavy], load[light], threshold))
                    continue;
                f.Next = (ushort)light;
                f.Unmark();
                f.HeldUntil = unchecked(Periods + HoldPeriods);
                _flowsOn[heavy]--;
                _flowsOn[light]++;
                load[heavy] -= f.Packets;
                load[light] += f.Packets;
                unchecked { Migrations++; }
                moves.Add(new FlowMove(hash, (ushort)heavy, (ushort)light, f.Packets));
            }
        }

        // 5. Remember the loads; 6. start a new period.
        ulong sum = 0;
        for (int q = 0; q < DynamicBalancer.MaxQueues; q++)
        {
            _lastLoad[q] = q < n ? load[q] : 0;
            sum += _lastLoad[q];
        }
        _weight = Math.Max(1, sum / Math.Max(FlowCount, 1u));
        foreach (var f in _flows.Values)
            f.Packets = 0;
        Array.Clear(_untracked);
        Array.Clear(_placed);
        _seen.SetAll(false);
        unchecked { Periods++; }
        LastRemap = new RemapResult(moves, dropped, load);
        return FlowCount != 0;
    }

    /// <summary>
    /// Queue <paramref name="index"/> was detached and tun moved queue <paramref name="last"/>
    /// into its place: flows that belong to either are unplaced, flows whose packets go to either
    /// switch at their next packet, and neither queue's load or placement survives. The ring of
    /// <paramref name="last"/> now serves index <paramref name="index"/>: its packets go with it.
    /// </summary>
    public void Detach(ushort index, ushort last)
    {
        TunQueues.CheckQueue(index);
        TunQueues.CheckQueue(last);
        foreach (var f in _flows.Values)
        {
            if (f.Next == index || f.Next == last)
            {
                _flowsOn[f.Next]--;
                f.Next = DynamicBalancer.Unplaced;
            }
            if (f.Queue == index || f.Queue == last)
            {
                f.Queue = DynamicBalancer.Unplaced;
                f.Unmark();
            }
            if (f.DropQueue == index || f.DropQueue == last)
                f.DropQueue = DynamicBalancer.Unplaced;
        }
        foreach (var q in new[] { index, last })
        {
            _lastLoad[q] = _untracked[q] = 0;
            _placed[q] = 0;
        }
        _produced[index] = _produced[last];
        _consumed[index] = _consumed[last];
        if (index != last)
            _produced[last] = _consumed[last] = 0;
    }

    /// <summary>
    /// The move threshold for a heavy queue of <paramref name="heavyLoad"/>: 1/8 of it, at least the
    /// floor and at least 1 (a move must lower the larger load, or a lone flow could bounce).
    /// </summary>
    private uint Threshold(uint heavyLoad) => Math.Max(1, Math.Max(_threshold, heavyLoad >> ImbalanceShift));

    /// <summary>
    /// Moving a flow of <paramref name="packets"/> from heavy to light lowers the larger of the two
    /// loads by at least the threshold: <c>packets &gt;= t</c> and <c>light + packets + t &lt;= heavy</c>.
    /// </summary>
    private static bool Worth(uint packets, uint heavy, uint light, uint threshold) =>
        packets >= threshold && (ulong)light + packets + threshold <= heavy;

    /// <summary>Whether any of a heavy queue's candidates (sorted) is worth moving to the light queue.</summary>
    private bool MovesFrom(List<(uint Hash, Flow Flow)> candidates, uint heavy, uint light)
    {
        uint threshold = Threshold(heavy);
        return candidates.Any(c => Worth(c.Flow.Packets, heavy, light, threshold));
    }

    /// <summary>
    /// Answers the flow's queue: it switches to <c>next</c> once its old queue is gone or holds none
    /// of its packets; until then the packet goes to the old queue and becomes the flow's mark.
    /// </summary>
    private ushort Steer(Flow flow, uint queueCount)
    {
        if (flow.Queue == flow.Next)
        {
            flow.Unmark();   // not moving: a later move must not trust an old mark
            if (flow.DropQueue == flow.Queue)
                flow.DropQueue = DynamicBalancer.Unplaced;  // placed again where it paused: FIFO behind its packets
        }
        else
        {
            if (flow.Queue >= queueCount || Drained(flow))
            {
                var old = flow.Queue;
                flow.Queue = flow.Next;
                flow.Unmark();
                // back where it dropped (FIFO behind its stragglers), or nothing is on its way there
                if (flow.DropQueue != DynamicBalancer.Unplaced &&
                    (flow.DropQueue == flow.Queue || (flow.DropQueue == old && old < queueCount && !_pending[old])))
                    flow.DropQueue = DynamicBalancer.Unplaced;
                unchecked { Switches++; }
            }
            else if (flow.DropQueue == flow.Queue || Pause(flow))
            {
                DropAtRing();           // the ring is past none of the flow yet
                return flow.Queue;
            }
            else
            {
                flow.Marked = flow.MarkQueued = true;
                flow.Mark = unchecked(_produced[flow.Queue] + 1);
                _lastMarked = flow;
            }
        }
        unchecked { _produced[flow.Queue]++; }
        return flow.Queue;
    }

    /// <summary>
    /// An idle flow may leave the table (BALANCER.md adaptive remapper step 1): its queue is gone, or
    /// it is not moving and sits on its hash queue, where its next packet goes anyway; otherwise only
    /// once nothing of it waits there (a guest that stops reading keeps them however long it idles).
    /// </summary>
    private bool MayLeave(uint hash, Flow flow, uint queueCount) =>
        (flow.DropQueue == DynamicBalancer.Unplaced || !_pending[flow.DropQueue]) &&
        (flow.Queue >= queueCount ||
        (flow.Queue == flow.Next && flow.Queue == HashBalancer.QueueOf(hash, queueCount)) ||
        Drained(flow));

    /// <summary>
    /// A pause lasts while the ring's consumer moves: one that took nothing in a whole period may
    /// never (a guest that stopped reading it), so the flow gives up the move and stays there,
    /// behind its own packets.
    /// </summary>
    private void AgePause(Flow f)
    {
        if (f.DropQueue == DynamicBalancer.Unplaced || f.DropQueue != f.Queue || f.Queue == f.Next)
            return;
        if (!f.PauseAged || _consumed[f.Queue] != f.PauseTaken)
        {
            f.PauseAged = true;
            f.PauseTaken = _consumed[f.Queue];
            return;
        }
        if (f.Next != DynamicBalancer.Unplaced)
            _flowsOn[f.Next]--;
        _flowsOn[f.Queue]++;
        f.Next = f.Queue;
        f.Unmark();
        f.DropQueue = DynamicBalancer.Unplaced;
    }

    /// <summary>
    /// A moving flow's old ring is full: it pauses there (unless it still drops at another ring).
    /// The newest packet in the ring, behind every packet of the flow still queued, is its tail.
    /// </summary>
    private bool Pause(Flow flow)
    {
        if (flow.DropQueue != DynamicBalancer.Unplaced || Queued(flow.Queue) < _ringSlots)
            return false;
        flow.DropQueue = flow.Queue;
        flow.PauseAged = false;
        flow.Marked = flow.Unsure = false;
        flow.Tailed = true;
        flow.Tail = _produced[flow.Queue];
        unchecked { Pauses++; }
        return true;
    }

    /// <summary>The packet just steered is dropped at its queue's ring: its flow paused there.</summary>
    private void DropAtRing()
    {
        LastDropped = true;
        unchecked { PauseDrops++; }
    }

    /// <summary>
    /// Nothing of the moving flow waits in its old queue (BALANCER.md adaptive, *Queue drain*): a
    /// mark still queued becomes the tail (not drained); while the qdisc may hold packets, not
    /// drained (a mark not yet queued may get there behind the tail unseen: unsure); else, with a
    /// tail and not unsure, drained once the ring is past the tail; otherwise once the ring is empty.
    /// As the kernel, it reads only the qdisc's state and whether the ring holds the mark, the tail,
    /// or anything.
    /// </summary>
    private bool Drained(Flow flow)
    {
        if (flow.DropQueue == flow.Queue)
            return !Holds(flow.Queue, true, flow.Tail);  // paused: none of its packets enters after the tail
        bool pending = _pending[flow.Queue];
        if (flow.Marked && Holds(flow.Queue, flow.MarkQueued, flow.Mark))
        {
            flow.Tailed = true;
            flow.Tail = flow.Mark;
            flow.Unsure = false;
            return false;
        }
        if (pending)
        {
            if (flow.Marked)
                flow.Unsure = true;
            return false;
        }
        if (flow.Tailed && !flow.Unsure)
            return !Holds(flow.Queue, true, flow.Tail);
        return Queued(flow.Queue) == 0;
    }

    /// <summary>The ring of <paramref name="queue"/> still holds the packet that left <c>produced</c> at <paramref name="position"/>.</summary>
    private bool Holds(ushort queue, bool entered, uint position) =>
        entered && unchecked((int)(_consumed[queue] - position)) < 0;

    /// <summary>
    /// Where a new or unplaced flow whose packets go to <paramref name="queue"/> now starts: its
    /// learned queue if it fits, else <paramref name="queue"/> if it fits (a move only costs: it
    /// waits for the old ring), else the lightest by (estimate, flows, index). A queue fits unless
    /// its estimate is more than 1/8 (of itself plus a flow) above the lightest one. The estimate
    /// is last period's load plus the flows placed this period, each counted as the mean load of
    /// a flow at the last remap (<c>weight</c>, at least 1).
    /// </summary>
    private ushort Place(uint hash, ushort queue, uint n, ulong now)
    {
        int least = 0;
        for (int q = 1; q < n; q++)
        {
            ulong e = Estimate(q), best = Estimate(least);
            if (e < best || (e == best && _flowsOn[q] < _flowsOn[least]))
                least = q;
        }
        bool Fits(int q) => q < n && Estimate(q) <= Estimate(least) + ((Estimate(q) + _weight) >> ImbalanceShift);
        int choice =
            _learned.TryGetValue(hash, out var learned) && (now <= learned.Updated || now - learned.Updated <= LearnedAgeing) && Fits(learned.Queue)
                ? learned.Queue
                : Fits(queue) ? queue : least;
        _placed[choice] += _weight;
        return (ushort)choice;
    }

    private ulong Estimate(int q) => _lastLoad[q] + _placed[q];
}

/// <summary>
/// A snapshot of one adaptive flow-table entry: the queue its packets go to now, the queue it
/// belongs to (they differ while a move waits for the old queue to drain), its segments this
/// period, and the first remap number that may move it.
/// </summary>
public readonly record struct AdaptiveFlowState(ushort Queue, ushort Next, uint Packets, uint HeldUntil)
{
    public bool Moving => Queue != Next;
}
