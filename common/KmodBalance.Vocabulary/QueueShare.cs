namespace KmodBalance.Vocabulary;

/// <summary>
/// A queue's share: the fraction of the counted packets (lab) or delivered bytes (model) one queue carried.
/// Whether a queue was "used" is asked three times with three different questions, so each threshold has
/// its own name; do not merge them.
/// </summary>
public static class QueueShare
{
    /// <summary>`lab run`'s verdict (the default of `--min-share`): with at least as many flows as queues, every
    /// queue must carry this much for the spread to pass. A pass criterion, deliberately the strictest.</summary>
    public const double SpreadMinimum = 0.10;

    /// <summary>`lab compare` counts a queue as used from this share on: below it a queue only saw stray control
    /// packets (netperf's control connection, ARP).</summary>
    public const double UsedInLab = 0.05;

    /// <summary>The simulator counts a queue as used from this share on (`RunMetrics.QueuesUsed`): it has no
    /// stray packets to rule out, so its bar is lower than the lab's.</summary>
    public const double UsedInModel = 0.01;
}
