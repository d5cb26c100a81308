namespace KmodBalance.Model.Simulation;

/// <summary>
/// What one run of one policy measured.
/// <para><see cref="Throughput"/> is delivered bytes relative to a perfectly balanced
/// (fluid) split of the same offered flows on the same queues (1.0 = perfect).
/// <see cref="Jain"/> is Jain's index over per-queue delivered bytes (1 = even, 1/n = one queue).
/// <see cref="QueuesUsed"/> counts queues that carried at least <see cref="QueueShare.UsedInModel"/> (1%) of the bytes.
/// <see cref="Migrations"/> counts a flow's packet landing on another queue than its
/// previous packet. <see cref="Reordered"/> counts packets the guest received before an
/// earlier packet of the same flow (each queue is a FIFO served by its vCPU, so only a
/// flow whose packets sit in two queues at once can be reordered); <see cref="Dropped"/>
/// counts packets that found their queue's ring full. <see cref="PeriodsUntilBalanced"/> is the number of whole periods before
/// the first period whose throughput reached 99% of ideal (0 = from the start; null = never).</para>
/// </summary>
public sealed record RunMetrics(
    int Run,
    double ThroughputGbps,
    double IdealGbps,
    double Throughput,
    double Jain,
    int QueuesUsed,
    double MaxQueueGbps,
    double MeanQueueGbps,
    IReadOnlyList<double> QueueShare,
    int Migrations,
    long Reordered,
    long Dropped,
    int? PeriodsUntilBalanced,
    bool Balanced,
    int Flows)
{
    /// <summary>Relative throughput at or above which a run or period counts as balanced.</summary>
    public const double BalancedAt = 0.99;
}

/// <summary>All runs of one policy on one scenario.</summary>
public sealed record PolicyResult(string Policy, string Scenario, IReadOnlyList<RunMetrics> Runs)
{
    public double MeanThroughputGbps => Runs.Count == 0 ? 0 : Runs.Average(r => r.ThroughputGbps);
    public double MeanThroughput => Runs.Count == 0 ? 0 : Runs.Average(r => r.Throughput);
    public int BalancedRuns => Runs.Count(r => r.Balanced);

    /// <summary>Packets reordered over all runs.</summary>
    public long Reordered => Runs.Sum(r => r.Reordered);
}
