using System.Globalization;

namespace KmodBalance.Harness.Check;

/// <summary>What a flow is for in its scenario: <see cref="Test"/> flows are judged; <see cref="Decoy"/>
/// flows only prepare the balancer's state (queue loads) before the test flows start.</summary>
public enum FlowRole { Test, Decoy }

/// <summary>One udpflows flow: <paramref name="Count"/> datagrams from <paramref name="Port"/> at
/// <paramref name="Pps"/> per second, the first <paramref name="StartMs"/> after udpflows starts.</summary>
public sealed record FlowPlan(int Port, int Pps, int StartMs, int Count, FlowRole Role = FlowRole.Test)
{
    /// <summary>Send time of the last datagram, in ms after udpflows starts.</summary>
    public double EndMs => StartMs + (Count - 1) * 1000.0 / Pps;

    /// <summary>udpflows' SPORT:PPS:START_MS:COUNT.</summary>
    public string Spec => string.Create(CultureInfo.InvariantCulture, $"{Port}:{Pps}:{StartMs}:{Count}");
}

public enum QueueOp { Detach, Attach }

/// <summary>A TUNSETQUEUE mqtap runs on file <paramref name="Slot"/>, <paramref name="AtMs"/> after the
/// send time of the first datagram it reads.</summary>
public sealed record QueueEvent(QueueOp Op, int Slot, int AtMs)
{
    public string Spec => string.Create(CultureInfo.InvariantCulture, $"{(Op == QueueOp.Detach ? "detach" : "attach")}:{Slot}@{AtMs}");
}

/// <summary>The properties `kmb lab check` asserts; each is one junit testcase.</summary>
public static class CheckProperties
{
    /// <summary>hash: every flow's datagrams all go to one queue.</summary>
    public const string OneQueuePerFlow = "every-flow-stays-on-one-queue";
    /// <summary>dynamic: 4 flows placed two and two end up one per queue within two periods.</summary>
    public const string OnePerQueueWithinTwoPeriods = "four-flows-one-per-queue-within-two-periods";
    /// <summary>dynamic: the remapper never moves a flow that is the only one on its queue.</summary>
    public const string LoneFlowNeverMoved = "lone-flow-never-moved";
    /// <summary>dynamic: with more flows than queues the per-queue loads end within the threshold.</summary>
    public const string ConvergesWithinThreshold = "more-flows-than-queues-converge-within-threshold";
    /// <summary>both: detaching and attaching queues under traffic neither crashes nor steers to a missing queue.</summary>
    public const string QueueChangeSafe = "queue-count-change-is-safe";
}

/// <summary>One traffic run on a fresh tap: the flows, the queue events, the module parameters, and
/// which properties are judged on it.</summary>
/// <param name="PeriodMs">balance_period_ms to set, null to leave (hash has none).</param>
/// <param name="Threshold">balance_threshold to set, null to leave.</param>
/// <param name="SlackMs">Allowance for the remap timer's lateness (jiffy rounding, softirq and TCG
/// scheduling delay) added to time bounds stated in periods.</param>
/// <param name="MaxSenderLateMs">A sender delayed more than this makes the timing design void: the
/// scenario is then an error, not a verdict.</param>
public sealed record CheckScenario(
    string Name,
    string Description,
    IReadOnlyList<FlowPlan> Flows,
    IReadOnlyList<QueueEvent> Events,
    IReadOnlyList<string> Properties,
    int Queues = 4,
    int? PeriodMs = null,
    uint? Threshold = null,
    int BucketMs = 50,
    int SlackMs = 40,
    int MaxSenderLateMs = 40)
{
    public IEnumerable<FlowPlan> TestFlows => Flows.Where(f => f.Role == FlowRole.Test);

    /// <summary>When the test flows start, in ms after udpflows starts.</summary>
    public int TestStartMs => TestFlows.Min(f => f.StartMs);

    /// <summary>Upper bound of the traffic, for udpflows' -T.</summary>
    public int TrafficSeconds => (int)Math.Ceiling(Flows.Max(f => f.EndMs) / 1000.0) + 2;

    /// <summary>mqtap's options for this scenario.</summary>
    public string MqtapOptions => string.Join(' ',
        new[] { $"-q {Queues}", $"-b {BucketMs}", "-i 400", "-S 5" }.Concat(Events.Select(e => $"-e {e.Spec}")));
}
