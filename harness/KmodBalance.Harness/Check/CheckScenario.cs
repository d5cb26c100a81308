using System.Globalization;
using KmodBalance.Harness.Lab;

namespace KmodBalance.Harness.Check;

/// <summary>What a flow is for in its scenario: <see cref="Test"/> flows are judged; <see cref="Decoy"/>
/// flows only prepare the balancer's state (queue loads) before the test flows start.</summary>
public enum FlowRole { Test, Decoy }

/// <summary>One udpflows flow: <paramref name="Count"/> datagrams from <paramref name="Port"/> at
/// <paramref name="Pps"/> per second, the first <paramref name="StartMs"/> after udpflows starts; with
/// <paramref name="TailMs"/>, until that long after the flood's last datagram instead (Count is then
/// what udpflows reports).</summary>
public sealed record FlowPlan(int Port, int Pps, int StartMs, int Count, FlowRole Role = FlowRole.Test, int? TailMs = null)
{
    /// <summary>Send time of the last datagram, in ms after udpflows starts (an upper bound with a paired
    /// start, which sends the first two together).</summary>
    public double EndMs => StartMs + (Count - 1) * 1000.0 / Pps;

    /// <summary>udpflows' SPORT:PPS:START_MS:COUNT or SPORT:PPS:START_MS:+TAIL_MS.</summary>
    public string Spec => TailMs is { } tail
        ? string.Create(CultureInfo.InvariantCulture, $"{Port}:{Pps}:{StartMs}:+{tail}")
        : string.Create(CultureInfo.InvariantCulture, $"{Port}:{Pps}:{StartMs}:{Count}");
}

/// <summary>What mqtap does at a time: TUNSETQUEUE on a file (<see cref="Detach"/>, <see cref="Attach"/>),
/// or write /sys/class/net/TAP/balance (<see cref="Balance"/>; the value is in the event's Slot).</summary>
public enum QueueOp { Detach, Attach, Balance }

/// <summary>A TUNSETQUEUE mqtap runs on file <paramref name="Slot"/>, or the balance attribute it writes
/// (value <paramref name="Slot"/>), <paramref name="AtMs"/> after the send time of the first datagram it reads.</summary>
public sealed record QueueEvent(QueueOp Op, int Slot, int AtMs)
{
    public string Spec => string.Create(CultureInfo.InvariantCulture, $"{Op.ToString().ToLowerInvariant()}:{Slot}@{AtMs}");
}

/// <summary>mqtap answers flow <paramref name="Port"/> like a guest would, on the file
/// <paramref name="Shift"/> after the one its first datagram came from (stock automq learns that queue).</summary>
public sealed record ReplyPlan(int Port, int Shift)
{
    public string Spec => string.Create(CultureInfo.InvariantCulture, $"{Port}:+{Shift}");
}

/// <summary>udpflows' flood: <paramref name="Count"/> one-datagram flows with random ports, as fast as
/// L1 sends them, from <paramref name="StartMs"/> on.</summary>
public sealed record FloodPlan(int Count, int StartMs)
{
    public string Spec => string.Create(CultureInfo.InvariantCulture, $"{Count}@{StartMs}");
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
    /// <summary>both (optin): with balancing off the patched module steers every datagram as stock automq, guest replies included.</summary>
    public const string OffSteersAsStock = "off-steers-as-stock-automq";
    /// <summary>both (optin): turned on under traffic it balances (hash: every flow on its hash queue; dynamic: one flow per queue).</summary>
    public const string OnUnderTrafficBalances = "on-under-traffic-balances";
    /// <summary>both (optin): turned off again, the state is freed (device gone from the statistics, balancers back).</summary>
    public const string OffAgainFreesState = "off-again-frees-the-state";
    /// <summary>dynamic (flood): the 4 paced flows still end one per queue.</summary>
    public const string FloodFlowsEndOnePerQueue = "flood-paced-flows-end-one-per-queue";
    /// <summary>dynamic (flood): every steered packet shows up in the per-queue load.</summary>
    public const string FloodEveryPacketCounted = "flood-every-steered-packet-counted";
    /// <summary>both (single-queue): a 1-queue tap with balancing requested gets no state (so no timer), and
    /// turning it off there is taken (a script that turns every tap off must not fail on this one).</summary>
    public const string SingleQueueNoState = "single-queue-allocates-nothing";
    /// <summary>both (netpoll): netconsole over a balancing multi-queue tap: no splat, no hang, frames hash-steered.</summary>
    public const string NetpollSafe = "netconsole-over-balancing-tap-is-safe";
}

/// <summary>One traffic run on a fresh tap: the flows, the queue events, the module parameters, and
/// which properties are judged on it.</summary>
/// <param name="PeriodMs">balance_period_ms to set, null to leave (hash has none).</param>
/// <param name="Threshold">balance_threshold to set, null to leave.</param>
/// <param name="SlackMs">Allowance for the remap timer's lateness (jiffy rounding, softirq and TCG
/// scheduling delay) added to time bounds stated in periods.</param>
/// <param name="MaxSenderLateMs">A sender delayed more than this makes the timing design void: the
/// scenario is then an error, not a verdict. Time bounds add the lateness udpflows measured, and
/// udpflows is one thread, so a stall holds every flow at once: a flow sharing a queue with a moved one
/// still shows a datagram just before it. What a stall of about a period (P = 200 ms) breaks is the
/// timing of the decoys and placements: ScenarioDesignTests replays every design with stalls up to
/// this value (8 a second) and passes up to 190 ms, fails at 300; 150 leaves a margin.</param>
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
    int MaxSenderLateMs = 150)
{
    /// <summary>The policy whose module runs the scenario (hash or dynamic): what a balancing device does.</summary>
    public Policy Policy { get; init; } = Policy.Dynamic;

    /// <summary>mqtap turns balancing on (-B 1) as soon as the tap exists; false: it stays off (stock
    /// automq) until a <see cref="QueueOp.Balance"/> event.</summary>
    public bool Balance { get; init; } = true;

    /// <summary>What balances (`--backend`). With <see cref="LabBackend.Ebpf"/> the tap is Debian's own tun's,
    /// which has no balance attribute: check-flows.sh attaches kmbsteer (KMB_STEER) once mqtap holds the queues
    /// instead of mqtap writing the attribute, and optin's switches are kmbsteer's attach and detach
    /// (KMB_STEER_AT) instead of mqtap's balance events.</summary>
    public LabBackend Backend { get; init; } = LabBackend.Module;

    /// <summary>A tap without IFF_MULTI_QUEUE (one queue).</summary>
    public bool SingleQueue { get; init; }

    /// <summary>balance_default while the scenario's tap is created (null: left at 0).</summary>
    public int? BalanceDefault { get; init; }

    /// <summary>Each flow's first two datagrams go out back to back (udpflows -P), so a balancing
    /// dynamic module admits it at once (BALANCER.md: a new flow enters on its second packet).</summary>
    public bool PairedStart { get; init; }

    public IReadOnlyList<ReplyPlan> Replies { get; init; } = [];

    public FloodPlan? Flood { get; init; }

    /// <summary>Netconsole on the tap to this UDP port of 198.51.100.2 while the flows run.</summary>
    public int? NetconsolePort { get; init; }

    /// <summary>Lines the netpoll scenario writes to /dev/kmsg, 10 ms apart.</summary>
    public int KmsgLines { get; init; } = 150;

    /// <summary>No qdisc on the tap: every packet steered reaches tun_net_xmit().</summary>
    public bool NoQueue { get; init; }

    /// <summary>mqtap stops this long after the last datagram.</summary>
    public int IdleMs { get; init; } = 400;

    /// <summary>Explicit bound of the traffic in seconds (flows that end after a flood have no planned end).</summary>
    public int? TrafficBoundSeconds { get; init; }

    /// <summary>The first datagram of a flow starting on a fresh dynamic or adaptive balancer is steered by hash
    /// before the flow is admitted: the analyzers set it apart.</summary>
    public bool FirstDatagramBeforeAdmission => Policy.Remaps() && Balance && PairedStart;

    public IEnumerable<FlowPlan> TestFlows => Flows.Where(f => f.Role == FlowRole.Test);

    /// <summary>When the test flows start, in ms after udpflows starts.</summary>
    public int TestStartMs => TestFlows.Min(f => f.StartMs);

    /// <summary>Upper bound of the traffic, for udpflows' -T.</summary>
    public int TrafficSeconds => TrafficBoundSeconds ?? (int)Math.Ceiling(Flows.Max(f => f.EndMs) / 1000.0) + 2;

    /// <summary>The balance switches the run makes: mqtap writes the module's attribute; on the eBPF back end
    /// kmbsteer's attach and detach stand for them on a tap that starts stock (optin), and a tap that balances
    /// from the start has none (the kernel's own tun has no attribute to write).</summary>
    public IEnumerable<QueueEvent> Switches =>
        Events.Where(e => e.Op == QueueOp.Balance && (Backend == LabBackend.Module || !Balance));

    /// <summary>mqtap's options for this scenario.</summary>
    public string MqtapOptions => string.Join(' ',
        new[] { SingleQueue ? "-s" : $"-q {Queues}", $"-b {BucketMs}", $"-i {IdleMs}", "-S 5" }
            .Concat(Balance && Backend == LabBackend.Module ? ["-B 1"] : [])
            .Concat(Events.Where(e => Backend == LabBackend.Module || e.Op != QueueOp.Balance).Select(e => $"-e {e.Spec}"))
            .Concat(Replies.Select(r => $"-r {r.Spec}"))
            .Concat(NetconsolePort is { } port ? [$"-N {port}"] : []));

    /// <summary>udpflows' options beyond addresses and the bound.</summary>
    public string UdpflowsOptions => string.Join(' ',
        (PairedStart ? new[] { "-P" } : [])
            .Concat(Replies.Count > 0 ? ["-L 400"] : [])
            .Concat(Flood is { } f ? [$"-F {f.Spec}"] : []));

    /// <summary>check-flows.sh's environment for this scenario.</summary>
    public IReadOnlyDictionary<string, string> Environment
    {
        get
        {
            var env = new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["KMB_MAX_S"] = TrafficSeconds.ToString(CultureInfo.InvariantCulture),
            };
            if (UdpflowsOptions.Length > 0) env["KMB_UDPFLOWS_OPTS"] = UdpflowsOptions;
            if (NoQueue) env["KMB_NOQUEUE"] = "1";
            if (BalanceDefault is { } bd && Backend == LabBackend.Module) env["KMB_BALANCE_DEFAULT"] = bd.ToString(CultureInfo.InvariantCulture);
            if (Backend == LabBackend.Ebpf)
            {
                env["KMB_STEER"] = string.Create(CultureInfo.InvariantCulture, $"{PeriodMs ?? 200} {Threshold ?? 64}");
                if (!Balance)
                    env["KMB_STEER_AT"] = string.Join(' ', Switches.OrderBy(e => e.AtMs)
                        .Select(e => e.AtMs.ToString(CultureInfo.InvariantCulture)));
            }
            if (NetconsolePort is { } port)
            {
                env["KMB_NETCONSOLE"] = port.ToString(CultureInfo.InvariantCulture);
                env["KMB_KMSG_LINES"] = KmsgLines.ToString(CultureInfo.InvariantCulture);
            }
            return env;
        }
    }
}
