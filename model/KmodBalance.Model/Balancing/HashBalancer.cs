namespace KmodBalance.Model.Balancing;

/// <summary>
/// Static flow hashing, as tun does for a flow it has not learnt:
/// <c>((u64)hash * n) &gt;&gt; 32</c> (multiply and shift instead of a divide). Stateless.
/// </summary>
public sealed class HashBalancer : IQueueSelector
{
    public string Name => Policy.Hash.Name();

    /// <summary>The queue static hashing picks for <paramref name="hash"/> among <paramref name="queueCount"/> queues.</summary>
    public static ushort QueueOf(uint hash, uint queueCount) =>
        queueCount == 0 ? (ushort)0 : (ushort)(((ulong)hash * queueCount) >> 32);

    public ushort Select(uint hash, uint segments, uint queueCount, ulong now = 0) => QueueOf(hash, queueCount);

    public void EndPeriod(uint queueCount) { }

    public void GuestSent(uint hash, ushort queue, ulong now = 0) { }
}
