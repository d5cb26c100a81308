namespace KmodBalance.Model.Balancing;

/// <summary>
/// What every balancer shares with tun: the queue limit, a flow's admission-filter bit, and
/// the argument checks against them. The constants stay on <see cref="DynamicBalancer"/>,
/// where callers already find them.
/// </summary>
internal static class TunQueues
{
    /// <summary>A flow's bit in the 8192-bit admission filter: its top 13 hash bits.</summary>
    public static int SeenBit(uint hash) => (int)(hash >> 19);

    public static void CheckQueueCount(uint queueCount)
    {
        if (queueCount > DynamicBalancer.MaxQueues)
            throw new ArgumentOutOfRangeException(nameof(queueCount), queueCount, $"tun supports at most {DynamicBalancer.MaxQueues} queues");
    }

    public static int CheckQueue(int q)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(q);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(q, DynamicBalancer.MaxQueues);
        return q;
    }
}
