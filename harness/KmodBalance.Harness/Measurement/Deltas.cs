namespace KmodBalance.Harness.Measurement;

/// <summary>Per-queue counters read at one moment: guest IRQs, guest rx packets, host tap txq packets.</summary>
public sealed record QueueSnapshot(
    IReadOnlyDictionary<int, long> Interrupts,
    IReadOnlyDictionary<int, long> RxPackets,
    IReadOnlyDictionary<int, long> HostPackets);

/// <summary>What one queue carried between two snapshots.</summary>
public sealed record QueueSample(int Queue, long Interrupts, long RxPackets, long HostPackets);

public static class Deltas
{
    /// <summary>
    /// after - before for queues 0..queueCount-1; a queue missing from a snapshot counts as 0.
    /// </summary>
    /// <exception cref="ArgumentException">A counter went backwards (guest rebooted, driver reloaded, qdisc replaced).</exception>
    public static IReadOnlyList<QueueSample> Compute(QueueSnapshot before, QueueSnapshot after, int queueCount)
    {
        ArgumentNullException.ThrowIfNull(before);
        ArgumentNullException.ThrowIfNull(after);
        ArgumentOutOfRangeException.ThrowIfNegative(queueCount);

        var samples = new List<QueueSample>(queueCount);
        for (int q = 0; q < queueCount; q++)
        {
            samples.Add(new QueueSample(
                q,
                Delta(before.Interrupts, after.Interrupts, q, nameof(QueueSnapshot.Interrupts)),
                Delta(before.RxPackets, after.RxPackets, q, nameof(QueueSnapshot.RxPackets)),
                Delta(before.HostPackets, after.HostPackets, q, nameof(QueueSnapshot.HostPackets))));
        }
        return samples;
    }

    private static long Delta(IReadOnlyDictionary<int, long> before, IReadOnlyDictionary<int, long> after, int queue, string counter)
    {
        long delta = after.GetValueOrDefault(queue) - before.GetValueOrDefault(queue);
        if (delta < 0)
            throw new ArgumentException(
                $"{counter} of queue {queue} went backwards ({before.GetValueOrDefault(queue)} -> {after.GetValueOrDefault(queue)}); " +
                "the counters were reset between snapshots (reboot, driver reload or qdisc change), so the deltas are not evidence.");
        return delta;
    }
}
