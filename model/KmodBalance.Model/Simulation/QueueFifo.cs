namespace KmodBalance.Model.Simulation;

/// <summary>
/// One tun queue as the guest drains it: a FIFO ring served by its vCPU at a constant rate
/// (work-conserving). A packet's departure (delivery to the guest) is known when it is
/// enqueued: <c>max(arrival, previous departure) + bytes / rate</c>. The ring holds at most
/// <see cref="RingPackets"/> packets (tun's <c>TUN_READQ_SIZE</c>, a tap's default
/// <c>tx_queue_len</c>); a packet arriving at a full ring is dropped, as tun drops it.
/// Bytes served are booked to the ticks their service overlaps, so a tick's delivery is
/// final once every packet arriving before the tick's end has been enqueued.
/// </summary>
internal sealed class QueueFifo
{
    public const int RingPackets = 500;

    private readonly double _bytesPerUs;
    private readonly int _tickUs;
    private readonly double[] _servedByTick;
    private readonly Queue<double> _inRing = new();
    private double _busyUntil;

    /// <param name="bytesPerUs">Service rate of the queue's vCPU.</param>
    /// <param name="tickUs">Tick length, for the per-tick delivery account.</param>
    /// <param name="ticks">Ticks of the run; service after the last tick is not delivered within the run.</param>
    public QueueFifo(double bytesPerUs, int tickUs, long ticks)
    {
        _bytesPerUs = bytesPerUs;
        _tickUs = tickUs;
        _servedByTick = new double[ticks];
    }

    /// <summary>Packets in the ring after the last <see cref="Advance"/>.</summary>
    public int Backlog => _inRing.Count;

    /// <summary>Packets dropped at a full ring.</summary>
    public int Dropped { get; private set; }

    /// <summary>Bytes still waiting in the ring at <paramref name="timeUs"/> (the part of a packet in service included).</summary>
    public double BacklogBytesAt(double timeUs) => Math.Max(0, _busyUntil - timeUs) * _bytesPerUs;

    /// <summary>Bytes the vCPU delivered during tick <paramref name="tick"/>.</summary>
    public double ServedIn(long tick) => _servedByTick[tick];

    /// <summary>Lets the vCPU run until <paramref name="timeUs"/>; returns the packets it took off the ring meanwhile.</summary>
    public uint Advance(double timeUs)
    {
        uint left = 0;
        while (_inRing.Count > 0 && _inRing.Peek() <= timeUs)
        {
            _inRing.Dequeue();
            left++;
        }
        return left;
    }

    /// <summary>
    /// Puts a packet of <paramref name="bytes"/> on the ring at <paramref name="timeUs"/> (call
    /// <see cref="Advance"/> to that time first); its departure time, or null if the ring was full.
    /// </summary>
    public double? Enqueue(double timeUs, double bytes)
    {
        if (_inRing.Count >= RingPackets)
        {
            Dropped++;
            return null;
        }
        double start = Math.Max(timeUs, _busyUntil);
        double end = start + bytes / _bytesPerUs;
        _busyUntil = end;
        _inRing.Enqueue(end);
        Book(start, end);
        return end;
    }

    private void Book(double start, double end)
    {
        long first = (long)(start / _tickUs), last = (long)(end / _tickUs);
        for (long k = first; k <= last && k < _servedByTick.Length; k++)
        {
            double from = Math.Max(start, k * (double)_tickUs), to = Math.Min(end, (k + 1) * (double)_tickUs);
            if (to > from)
                _servedByTick[k] += (to - from) * _bytesPerUs;
        }
    }
}
