namespace KmodBalance.Model.Balancing;

/// <summary>
/// A tun queue-selection policy as the simulator drives it: one call per packet sent
/// host -> guest, one call per balancing period, and one call per packet the guest
/// sends back (only stock automq learns from those).
/// </summary>
public interface IQueueSelector
{
    /// <summary>Short policy name: <c>hash</c>, <c>dynamic</c>, <c>stock</c>, <c>adaptive</c>.</summary>
    string Name { get; }

    /// <summary>
    /// Queue for one host -> guest packet of flow <paramref name="hash"/> that carries
    /// <paramref name="segments"/> segments (<c>max(gso_segs, 1)</c>: a GSO skb counts as
    /// the wire packets it becomes); always &lt; <paramref name="queueCount"/> (0 when it is 0).
    /// </summary>
    ushort Select(uint hash, uint segments, uint queueCount, ulong now = 0);

    /// <summary>End of a balancing period (the dynamic balancer remaps; the others do nothing).</summary>
    void EndPeriod(uint queueCount);

    /// <summary>The guest sent a packet of flow <paramref name="hash"/> on <paramref name="queue"/> (stock automq learns it).</summary>
    void GuestSent(uint hash, ushort queue, ulong now = 0);

    /// <summary>
    /// <paramref name="packets"/> packets left <paramref name="queue"/>'s ring (the guest took
    /// them, or the ring was full and dropped them). Only adaptive uses it, to move a flow
    /// only once its old queue holds none of its packets; the others ignore it.
    /// </summary>
    void Dequeued(ushort queue, uint packets) { }

    /// <summary>
    /// The last <paramref name="packets"/> packets steered to <paramref name="queue"/> found its
    /// ring full and were dropped: they never entered it (tun drops at a full ring, so no packet
    /// queued before them left). Only adaptive uses it; the others ignore it.
    /// </summary>
    void Dropped(ushort queue, uint packets) { }

    /// <summary>
    /// The packet <see cref="Select"/> answered last is dropped at its queue's ring instead of
    /// entering it (adaptive: its flow paused there); the others never drop one.
    /// </summary>
    bool LastDropped => false;
}

/// <summary>One flow moved by the remapper, with its segments in the period that moved it.</summary>
public readonly record struct FlowMove(uint Hash, ushort From, ushort To, uint Packets);

/// <summary>What one remap did: flows moved, flows dropped, and the per-queue loads it left (index = queue).</summary>
public sealed record RemapResult(IReadOnlyList<FlowMove> Moves, IReadOnlyList<uint> Dropped, IReadOnlyList<uint> Loads)
{
    public static RemapResult None { get; } = new([], [], []);
}

/// <summary>A snapshot of one flow-table entry of the dynamic balancer: its queue and its segments this period.</summary>
public readonly record struct FlowState(ushort Queue, uint Packets);
