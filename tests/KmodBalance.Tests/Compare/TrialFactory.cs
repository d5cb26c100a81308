using KmodBalance.Harness.Compare;
using KmodBalance.Harness.Measurement;

namespace KmodBalance.Tests.Compare;

/// <summary>Measured trials with just the figures a test cares about.</summary>
internal static class TrialFactory
{
    public static TrialResult Measured(string policy, int trial, double mbps, int queuesUsed = 4, double jain = 1, long? migrations = null,
        double[]? shares = null) =>
        new(policy, trial, trial, mbps, [], shares ?? [0.25, 0.25, 0.25, 0.25], [], SpreadEvidence.RxPackets, queuesUsed, jain,
            migrations, null, "l1=tcg,l2=kvm", 40, 1, null);

    public static TrialResult Failed(string policy, int trial) =>
        TrialResult.Failed(new ScheduledTrial(PolicyNames.Parse(policy), trial, trial), "[boot-l2] no KMB-READY", 300, 2);
}
