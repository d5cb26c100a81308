namespace KmodBalance.Model.Simulation;

/// <summary>Accumulates one run's measurements tick by tick; <see cref="Finish"/> makes the metrics.</summary>
internal sealed class RunRecorder(int queues, CapacityModel capacity)
{
    private readonly double[] _queueBytes = new double[queues];
    private readonly Dictionary<uint, ushort> _lastQueue = [];
    private readonly Dictionary<uint, double> _lastDelivery = [];
    private double _delivered, _ideal, _periodDelivered, _periodIdeal;
    private int _periodIndex, _ticks, _migrations;
    private long _reordered, _dropped;
    private int? _firstBalancedPeriod;

    /// <summary>A packet of flow <paramref name="hash"/> was steered to <paramref name="queue"/>.</summary>
    public void Packet(uint hash, ushort queue)
    {
        if (_lastQueue.TryGetValue(hash, out var last) && last != queue)
            _migrations++;
        _lastQueue[hash] = queue;
    }

    /// <summary>
    /// The guest receives the flow's next packet (in send order) at <paramref name="timeUs"/>, or
    /// never (null: dropped). Received before an earlier packet of the flow: reordered.
    /// </summary>
    public void Delivery(uint hash, double? timeUs)
    {
        if (timeUs is not { } t)
        {
            _dropped++;
            return;
        }
        if (_lastDelivery.TryGetValue(hash, out var latest) && t < latest)
            _reordered++;
        else
            _lastDelivery[hash] = t;
    }

    public void Tick(ReadOnlySpan<double> deliveredPerQueue, double idealBytes)
    {
        double sum = 0;
        for (int q = 0; q < deliveredPerQueue.Length; q++)
        {
            _queueBytes[q] += deliveredPerQueue[q];
            sum += deliveredPerQueue[q];
        }
        _delivered += sum;
        _ideal += idealBytes;
        _periodDelivered += sum;
        _periodIdeal += idealBytes;
        _ticks++;
    }

    public void EndPeriod()
    {
        if (_firstBalancedPeriod is null && _periodIdeal > 0 && _periodDelivered >= RunMetrics.BalancedAt * _periodIdeal)
            _firstBalancedPeriod = _periodIndex;
        _periodIndex++;
        _periodDelivered = _periodIdeal = 0;
    }

    public RunMetrics Finish(int run, int flows)
    {
        double seconds = _ticks * capacity.TickUs / 1e6;
        double Gbps(double bytes) => seconds == 0 ? 0 : bytes * 8 / seconds / 1e9;
        double relative = _ideal == 0 ? 1.0 : _delivered / _ideal;
        var share = _queueBytes.Select(b => _delivered == 0 ? 0 : b / _delivered).ToArray();
        return new RunMetrics(
            run,
            Gbps(_delivered),
            Gbps(_ideal),
            relative,
            // Nothing delivered means nothing to share: counted as even, as the relative throughput above counts it as ideal.
            _delivered == 0 ? 1.0 : Fairness.Jain(_queueBytes),
            share.Count(s => s >= QueueShare.UsedInModel),
            Gbps(_queueBytes.Max()),
            Gbps(_queueBytes.Average()),
            share,
            _migrations,
            _reordered,
            _dropped,
            _firstBalancedPeriod,
            relative >= RunMetrics.BalancedAt,
            flows);
    }
}
