namespace KmodBalance.Model.Balancing;

/// <summary>
/// Stock tun "automq" (Linux &gt;= 3.8), simplified: a flow learns its queue from the
/// queue on which the guest last sent a packet of it (<c>tun_flow_update</c>); a flow it
/// has not learnt, or whose entry aged out or points at a detached queue, gets the static
/// hash queue. It never looks at load. Without guest replies (one-way UDP) it equals
/// <see cref="HashBalancer"/>.
/// </summary>
/// <param name="maxFlows">Table bound (tun's <c>MAX_TAP_FLOWS</c>, 4096); new flows beyond it are not learnt.</param>
/// <param name="ageing">Entry lifetime in the units of <c>now</c> (the simulator passes microseconds; tun's default is 3 s).</param>
public sealed class StockAutomq(int maxFlows = 4096, ulong ageing = 3_000_000) : IQueueSelector
{
    private readonly Dictionary<uint, (ushort Queue, ulong Updated)> _learnt = [];

    public string Name => Policy.Stock.Name();

    /// <summary>Number of learnt flows.</summary>
    public int FlowCount => _learnt.Count;

    public ushort Select(uint hash, uint segments, uint queueCount, ulong now = 0)
    {
        if (queueCount == 0)
            return 0;
        if (_learnt.TryGetValue(hash, out var e))
        {
            if (now - e.Updated <= ageing && e.Queue < queueCount)
                return e.Queue;
            _learnt.Remove(hash);
        }
        return HashBalancer.QueueOf(hash, queueCount);
    }

    public void EndPeriod(uint queueCount) { }

    public void GuestSent(uint hash, ushort queue, ulong now = 0)
    {
        if (_learnt.ContainsKey(hash) || _learnt.Count < maxFlows)
            _learnt[hash] = (queue, now);
    }
}
