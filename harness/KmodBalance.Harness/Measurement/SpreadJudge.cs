using System.Globalization;

namespace KmodBalance.Harness.Measurement;

/// <param name="MinShare">The share of all counted packets a queue must carry to count as used (0..1].</param>
public sealed record SpreadCriteria(double MinShare = QueueShare.SpreadMinimum);

/// <param name="Evidence">Which counter the shares come from: one of <see cref="SpreadEvidence"/>.</param>
/// <param name="Shares">Per queue, in the order given, its fraction of the evidence counter's total.</param>
/// <param name="Jain">Jain's index over <paramref name="Shares"/>.</param>
/// <param name="Reasons">Why it failed; empty when passed.</param>
public sealed record SpreadVerdict(bool Passed, string Evidence, IReadOnlyList<double> Shares, double Jain, IReadOnlyList<string> Reasons);

/// <summary>Names of the counters a verdict can rest on (the report.json field names of <see cref="QueueSample"/>).</summary>
public static class SpreadEvidence
{
    /// <summary>Guest <c>ethtool -S</c> rx_queue_K_packets: what each guest queue actually received. Preferred.</summary>
    public const string RxPackets = "rxPackets";
    /// <summary>Host tap txq packets (tc mq children): what tun put on each queue, in GSO segments.</summary>
    public const string HostPackets = "hostPackets";
    /// <summary>Guest virtioN-input.K interrupts: NAPI-coalesced, so only a coarse signal.</summary>
    public const string Interrupts = "interrupts";
    /// <summary>No counter moved.</summary>
    public const string None = "none";
}

public static class SpreadJudge
{
    /// <summary>
    /// Judges whether the load spread over the queues. Each queue's share is its count / total of the first
    /// counter that moved, in the order guest rx packets, host tap packets, guest interrupts.
    /// With flows &gt;= queues every queue must carry at least <see cref="SpreadCriteria.MinShare"/>;
    /// with fewer flows than queues at least <paramref name="flows"/> queues must.
    /// </summary>
    public static SpreadVerdict Judge(IReadOnlyList<QueueSample> queues, int flows, SpreadCriteria criteria)
    {
        ArgumentNullException.ThrowIfNull(queues);
        ArgumentNullException.ThrowIfNull(criteria);
        if (!(criteria.MinShare > 0 && criteria.MinShare <= 1))
            throw new ArgumentOutOfRangeException(nameof(criteria), criteria.MinShare, "MinShare must be in (0, 1].");

        if (queues.Count == 0)
            return new SpreadVerdict(false, SpreadEvidence.None, [], 0, ["no queues were measured"]);

        var (evidence, counts) = ChooseEvidence(queues);
        double total = counts.Sum(c => (double)c);
        var shares = counts.Select(c => total > 0 ? c / total : 0).ToArray();
        double jain = Fairness.Jain(shares);

        var reasons = new List<string>();
        if (flows < 1)
            reasons.Add($"flows must be at least 1, got {flows}");
        if (evidence == SpreadEvidence.None)
            reasons.Add("no traffic was counted on any queue (rxPackets, hostPackets and interrupts are all zero)");

        if (reasons.Count == 0)
        {
            // A tiny tolerance so that an exact 10% share computed in floating point still counts as 10%.
            double threshold = criteria.MinShare - 1e-12;
            if (flows >= queues.Count)
            {
                for (int i = 0; i < queues.Count; i++)
                {
                    if (shares[i] < threshold)
                        reasons.Add($"queue {queues[i].Queue} carried {Percent(shares[i])} of {evidence} (< {Percent(criteria.MinShare)}; {flows} flows over {queues.Count} queues should use every queue)");
                }
            }
            else
            {
                int used = shares.Count(s => s >= threshold);
                if (used < flows)
                    reasons.Add($"only {used} of {queues.Count} queues carried >= {Percent(criteria.MinShare)} of {evidence}; {flows} flows should use at least {flows}");
            }
        }
        return new SpreadVerdict(reasons.Count == 0, evidence, shares, jain, reasons);
    }

    private static (string Evidence, long[] Counts) ChooseEvidence(IReadOnlyList<QueueSample> queues)
    {
        var candidates = new (string Name, Func<QueueSample, long> Counter)[]
        {
            (SpreadEvidence.RxPackets, q => q.RxPackets),
            (SpreadEvidence.HostPackets, q => q.HostPackets),
            (SpreadEvidence.Interrupts, q => q.Interrupts),
        };
        foreach (var (name, counter) in candidates)
        {
            var counts = queues.Select(counter).ToArray();
            if (counts.Any(c => c < 0))
                throw new ArgumentException($"{name} of a queue is negative; pass deltas from {nameof(Deltas)}.{nameof(Deltas.Compute)}.", nameof(queues));
            if (counts.Any(c => c > 0))
                return (name, counts);
        }
        return (SpreadEvidence.None, new long[queues.Count]);
    }

    private static string Percent(double share) => (share * 100).ToString("0.#", CultureInfo.InvariantCulture) + "%";
}
