namespace KmodBalance.Model.Simulation;

/// <summary>
/// What the simulated machine can carry. Each queue is served by one guest vCPU of fixed
/// capacity <see cref="QueueGbps"/>; the flows on a queue share it max-min fairly, each
/// capped by its own demand (at most <see cref="FlowGbps"/> for a TCP-like bulk flow).
/// Defaults are calibrated to the thesis (ch. 2): 4 netperf flows on 1 queue ~15 Gbps,
/// spread over 4 queues ~23 Gbps, so QueueGbps = 15 and FlowGbps = 23 / 4 = 5.75.
/// </summary>
public sealed record CapacityModel(double QueueGbps = 15.0, double FlowGbps = 5.75, int TickUs = 1000)
{
    /// <summary>Bytes one Gbps carries in one tick.</summary>
    public double BytesPerGbpsTick => 1e9 / 8.0 * TickUs / 1e6;
}
