using KmodBalance.Harness.Lab;
using KmodBalance.Harness.Measurement;
using KmodBalance.Harness.Reporting;

namespace KmodBalance.Harness.Compare;

/// <summary>One boot of a compare trial whose lab failed, so the trial was booted again.</summary>
/// <param name="RetriedBoots">Boots inside that attempt that had already been booted again.</param>
public sealed record FailedAttempt(int Attempt, string Error, IReadOnlyList<StepTiming> RetriedBoots);

/// <summary>What one trial of `lab compare` measured, or why it could not.</summary>
/// <param name="GuestShares">Per queue, its share of the packets the guest received (ethtool rx_queue_K_packets).</param>
/// <param name="HostShares">Per queue, its share of the packets tun queued on the tap (tc mq children).</param>
/// <param name="Evidence">Which counter <paramref name="QueuesUsed"/> and <paramref name="Jain"/> rest on.</param>
/// <param name="QueuesUsed">Queues that carried at least <see cref="QueueShare.UsedInLab"/> of the packets.</param>
/// <param name="Migrations">Flows the dynamic balancer moved during netperf; null for modules without it.</param>
/// <param name="Attempts">Boots it took: a trial whose lab failed is booted again, up to <see cref="Lab.NestedTrial.Boots"/> boots in all.</param>
/// <param name="Error">Why the trial has no measurement; null when it has one.</param>
public sealed record TrialResult(
    string Policy,
    int Trial,
    int Slot,
    double TotalMbps,
    IReadOnlyList<FlowReport> Flows,
    IReadOnlyList<double> GuestShares,
    IReadOnlyList<double> HostShares,
    string Evidence,
    int QueuesUsed,
    double Jain,
    long? Migrations,
    BalanceStats? Balance,
    string Accel,
    double WallSeconds,
    int Attempts,
    string? Error)
{
    public bool Measured => Error is null;

    /// <summary>The guest's TCP reordering and retransmission counters over netperf (deltas); null when not read.</summary>
    public TcpCounters? Tcp { get; init; }

    /// <summary>Boots inside this trial's last attempt that failed in the emulator and were booted again
    /// (<see cref="StepTiming.Retried"/>).</summary>
    public IReadOnlyList<StepTiming> RetriedBoots { get; init; } = [];

    /// <summary>The attempts before the last, each with why its lab failed: <see cref="Attempts"/> says how
    /// many there were, these say why.</summary>
    public IReadOnlyList<FailedAttempt> FailedAttempts { get; init; } = [];

    /// <summary>Pure: the trial's figures from its measurement. A netperf flow that failed, or a kernel
    /// failure on a console, makes the trial an error rather than a low number.</summary>
    public static TrialResult From(ScheduledTrial slot, TrialMeasurement m, IEnumerable<string> consoleFailures, int queues,
        double wallSeconds, int attempts)
    {
        ArgumentNullException.ThrowIfNull(slot);
        ArgumentNullException.ThrowIfNull(m);
        var judged = SpreadJudge.Judge(m.Samples, m.Netperf.Flows.Count, new SpreadCriteria(QueueShare.UsedInLab));
        var problems = m.Netperf.Problems.Concat(consoleFailures).ToList();
        if (judged.Evidence == SpreadEvidence.None) problems.Add("no traffic was counted on any queue");
        return new TrialResult(slot.Policy.Name(), slot.Trial, slot.Slot,
            Math.Round(m.Netperf.Flows.Sum(f => f.Mbps), 2), m.Netperf.Flows,
            Shares(m.Samples.Select(s => s.RxPackets)), Shares(m.Samples.Select(s => s.HostPackets)),
            judged.Evidence, judged.Shares.Count(s => s >= QueueShare.UsedInLab - 1e-12), Math.Round(judged.Jain, 4),
            m.Migrations, m.After.Balance, m.Accel, Math.Round(wallSeconds, 1), attempts,
            problems.Count == 0 ? null : string.Join("; ", problems)) { Tcp = m.Tcp };
    }

    public static TrialResult Failed(ScheduledTrial slot, string error, double wallSeconds, int attempts) =>
        new(slot.Policy.Name(), slot.Trial, slot.Slot, 0, [], [], [], SpreadEvidence.None, 0, 0, null, null, "unknown",
            Math.Round(wallSeconds, 1), attempts, error);

    private static IReadOnlyList<double> Shares(IEnumerable<long> counts)
    {
        var c = counts.ToArray();
        double total = c.Sum(x => (double)x);
        return c.Select(x => total > 0 ? Math.Round(x / total, 4) : 0).ToArray();
    }
}
