using System.Globalization;
using System.Text.RegularExpressions;
using KmodBalance.Harness.Measurement;
using KmodBalance.Harness.Reporting;

namespace KmodBalance.Harness.Check;

/// <summary>The verdict on one property in one scenario: pass, fail (the module broke the property) or
/// error (the run could not show it: the sender was starved, tools failed, ...).</summary>
public sealed record PropertyVerdict(string Scenario, string Property, string Verdict, string Message, IReadOnlyList<string> Evidence);

/// <summary>What one scenario produced, parsed.</summary>
public sealed record ScenarioObservation(CheckScenario Scenario, UdpflowsReport Sent, MqtapReport Seen, IReadOnlyList<string>? Dmesg)
{
    /// <summary>/sys/kernel/debug/tun_balance before the tap existed (null: not read).</summary>
    public string? DebugfsBefore { get; init; }

    /// <summary>The same after mqtap closed the tap.</summary>
    public string? DebugfsAfter { get; init; }

    /// <summary>balance_default as the scenario set it for its tap (null: left alone).</summary>
    public int? BalanceDefaultSet { get; init; }

    /// <summary>check-flows.sh's netconsole run (netpoll scenario).</summary>
    public NetconsoleRun? Netconsole { get; init; }

    /// <summary>--backend ebpf: steer.sh's start and stop, kmbsteer's log and history (null: the module).</summary>
    public SteerRun? Steer { get; init; }

    /// <summary>--backend ebpf: kmbsteer's history, parsed (its remaps are <see cref="MqtapReport.Stats"/>).</summary>
    public Steering.SteerHistory? SteerHistory { get; init; }
}

/// <summary>Judges each property of a scenario exactly from mqtap's record (pure).</summary>
public static partial class ScenarioAnalyzer
{
    /// <summary>Window before a TUNSETQUEUE in which a datagram may still sit in the ring tun purges.</summary>
    public const long DetachLeadUs = 2000;

    public static IReadOnlyList<PropertyVerdict> Judge(ScenarioObservation o)
    {
        ArgumentNullException.ThrowIfNull(o);
        var s = o.Scenario;
        var tracks = FlowTracks.Build(s, o.Seen);
        var invalid = Validity(o, tracks);
        var kernel = KernelLogProblem(o.Dmesg);
        return s.Properties.Select(p =>
        {
            if (kernel is not null)
                return new PropertyVerdict(s.Name, p, LabVerdicts.Fail, "the kernel log shows a failure during the scenario: " + kernel.Split('\n')[0],
                    kernel.Split('\n'));
            if (invalid is not null && p != CheckProperties.QueueChangeSafe)
                return new PropertyVerdict(s.Name, p, LabVerdicts.Error, "the run cannot show the property: " + invalid, Tracks(tracks));
            return p switch
            {
                CheckProperties.OneQueuePerFlow => OneQueuePerFlow(s, tracks),
                CheckProperties.OnePerQueueWithinTwoPeriods => OnePerQueueWithinTwoPeriods(o, tracks),
                CheckProperties.LoneFlowNeverMoved => LoneFlowNeverMoved(s, tracks),
                CheckProperties.ConvergesWithinThreshold => ConvergesWithinThreshold(o, tracks),
                CheckProperties.QueueChangeSafe => QueueChangeSafe(o, tracks, invalid),
                CheckProperties.OffSteersAsStock => OffSteersAsStock(o, tracks),
                CheckProperties.OnUnderTrafficBalances => OnUnderTrafficBalances(o, tracks),
                CheckProperties.OffAgainFreesState => OffAgainFreesState(o),
                CheckProperties.FloodFlowsEndOnePerQueue => FloodFlowsEndOnePerQueue(o, tracks),
                CheckProperties.FloodEveryPacketCounted => FloodEveryPacketCounted(o),
                CheckProperties.SingleQueueNoState => SingleQueueNoState(o, tracks),
                CheckProperties.NetpollSafe => NetpollSafe(o, tracks),
                _ when AdaptiveProperties.All.Contains(p) => JudgeAdaptive(p, o, tracks),
                _ => throw new ArgumentException($"unknown property {p}"),
            };
        }).ToList();
    }

    /// <summary>Why the run's traffic does not match its design (null when it does): every planned
    /// datagram sent, the sender never later than the design allows, no foreign frames on the tap, and
    /// (without queue changes) every datagram read.</summary>
    public static string? Validity(ScenarioObservation o, IReadOnlyList<FlowTrack> tracks)
    {
        var s = o.Scenario;
        var problems = new List<string>();
        foreach (var plan in s.Flows)
        {
            var sent = o.Sent.Flows.FirstOrDefault(f => f.Port == plan.Port);
            if (sent is null) { problems.Add($"udpflows did not report flow {plan.Port}"); continue; }
            var count = plan.TailMs is null ? plan.Count : sent.Count;
            if (sent.Sent != count || sent.Errors != 0)
                problems.Add($"flow {plan.Port}: sent {sent.Sent} of {count}, {sent.Errors} send errors");
            if (sent.MaxLateUs > s.MaxSenderLateMs * 1000L)
                problems.Add($"flow {plan.Port}: the sender was up to {sent.MaxLateUs / 1000.0:0.0} ms late (the design allows {s.MaxSenderLateMs} ms)");
        }
        if (o.Sent.Stopped) problems.Add("udpflows hit its time bound");
        if (s.Flood is { } flood && (o.Sent.Flood is not { } fs || fs.Sent != flood.Count || fs.Errors != 0))
            problems.Add($"the flood sent {o.Sent.Flood?.Sent ?? 0} of {flood.Count} datagrams, {o.Sent.Flood?.Errors ?? 0} send errors");
        if (o.Seen.Balance is { } b && b.Read != b.Requested && !s.SingleQueue)
            problems.Add($"mqtap wrote {b.Requested} to the balance attribute but read {b.Read} back (errno {b.Errno})");
        // single-queue: whether its write was taken is the property's to judge, as the refused write of 1 is
        foreach (var toggle in o.Seen.Toggles.Where(x => !x.Done || (!s.SingleQueue && (x.ReturnCode != 0 || x.Read != x.Value))))
            problems.Add($"balance:{toggle.Value}@{toggle.AtMs} did not take (done {toggle.Done}, rc {toggle.ReturnCode}, errno {toggle.Errno}, read {toggle.Read})");
        if (o.Seen.Toggles.Count != s.Switches.Count())
            problems.Add($"{o.Seen.Toggles.Count} of {s.Switches.Count()} balance switches ran");
        if (o.Seen.Other > 0) problems.Add($"{o.Seen.Other} frames on the tap that are not the scenario's (they would be flows to the balancer)");
        if (o.Seen.UnknownFlows > 0) problems.Add($"{o.Seen.UnknownFlows} datagrams of flows beyond mqtap's table");
        if (!s.Events.Any(e => e.Op != QueueOp.Balance))
        {
            var unread = new List<(int Port, long Got, long Planned)>();
            foreach (var t in tracks)
            {
                var got = t.Segments.Sum(x => x.Frames) + (t.BeforeAdmission?.Frames ?? 0);
                var planned = t.Plan.TailMs is null ? t.Plan.Count : o.Sent.Flows.FirstOrDefault(f => f.Port == t.Port)?.Sent ?? 0;
                long dropped = Math.Max(0, o.Seen.TxDroppedAfter - o.Seen.TxDroppedBefore);
                // under a flood the reader may fall behind: tun drops what its ring cannot hold (tx_dropped)
                if (got != planned && (s.Flood is null || planned - got > dropped))
                    unread.Add((t.Port, got, planned));
            }
            // --backend ebpf: kmbsteer's helper queue took these while it attached, and counted them
            var helper = o.SteerHistory?.HelperFrames ?? 0;
            if (!(helper > 0 && unread.All(u => u.Got < u.Planned) && unread.Sum(u => u.Planned - u.Got) <= helper))
                problems.AddRange(unread.Select(u => $"flow {u.Port}: {u.Got} of {u.Planned} datagrams read (tx_dropped {o.Seen.TxDroppedBefore} -> " +
                                                     $"{o.Seen.TxDroppedAfter}" + (helper > 0 ? $", kmbsteer's helper queue {helper}" : "") + ": the reader fell behind)"));
        }
        return problems.Count == 0 ? null : string.Join("; ", problems);
    }

    [GeneratedRegex(@"selects TX queue|WARNING:|\bBUG\b|Oops|soft lockup|rcu_.*stall|self-detected stall|Call Trace", RegexOptions.CultureInvariant)]
    private static partial Regex KernelProblemPattern();

    /// <summary>The first alarming kernel log lines (netdev_cap_txqueue's "selects TX queue N, but real
    /// number of TX queues is M", WARN/BUG splats, lockups), or null.</summary>
    public static string? KernelLogProblem(IReadOnlyList<string>? dmesg)
    {
        if (dmesg is null) return null;
        var text = string.Join('\n', dmesg);
        if (ConsoleScanner.FindKernelFailure(text) is { } failure) return failure;
        var hits = dmesg.Where(l => KernelProblemPattern().IsMatch(l)).Take(5).ToList();
        return hits.Count == 0 ? null : string.Join('\n', hits);
    }

    /// <summary>hash: every datagram of a flow was handed to the same queue.</summary>
    public static PropertyVerdict OneQueuePerFlow(CheckScenario s, IReadOnlyList<FlowTrack> tracks)
    {
        var split = tracks.Where(t => t.Segments.Select(x => x.Queue).Distinct().Count() > 1).ToList();
        var unseen = tracks.Where(t => !t.Seen).Select(t => t.Port).ToList();
        var perQueue = tracks.Where(t => t.Seen).GroupBy(t => t.FirstQueue).OrderBy(g => g.Key)
            .Select(g => $"q{g.Key}: {string.Join(' ', g.Select(t => t.Port))}");
        if (unseen.Count > 0)
            return Verdict(s, CheckProperties.OneQueuePerFlow, LabVerdicts.Error, $"flows never seen: {string.Join(' ', unseen)}", Tracks(tracks));
        return split.Count == 0
            ? Verdict(s, CheckProperties.OneQueuePerFlow, LabVerdicts.Pass,
                $"each of {tracks.Count} flows stayed on one queue ({string.Join("; ", perQueue)})", Tracks(tracks))
            : Verdict(s, CheckProperties.OneQueuePerFlow, LabVerdicts.Fail,
                $"{split.Count} flows changed queue: " + string.Join("; ", split.Select(t => $"{t.Port}: {t.Describe()}")), Tracks(tracks));
    }

    /// <summary>
    /// dynamic (spread4): the mapper places decoys W0..W3 on queues 0..3 and the test flows where
    /// BALANCER.md's mapper puts them given the state the samples show when they arrive (f1, f3 on
    /// queue 0 and f2, f4 on queue 1 when the timers are on time); by the second remap the samples show
    /// after the start the four test flows are on four different queues and stay there to their end;
    /// the module's migration count equals the moves mqtap saw.
    /// </summary>
    public static PropertyVerdict OnePerQueueWithinTwoPeriods(ScenarioObservation o, IReadOnlyList<FlowTrack> tracks)
    {
        var s = o.Scenario;
        const string name = CheckProperties.OnePerQueueWithinTwoPeriods;
        var tests = tracks.Where(t => t.Plan.Role == FlowRole.Test).ToList();
        var decoys = tracks.Where(t => t.Plan.Role == FlowRole.Decoy).ToList();
        var evidence = Tracks(tracks);
        var placement = DecoyPlacement(decoys) is { } decoysWrong ? (LabVerdicts.Fail, decoysWrong) : PlacementFromSamples(o, tests, evidence);
        if (placement is { } wrong)
            return Verdict(s, name, wrong.Verdict, wrong.Message, evidence);

        long start = tests.Min(t => t.FirstUs);
        var finals = tests.Select(t => t.Final.Queue).ToList();
        long converged = tests.Max(t => t.Segments.Count > 1 ? t.Final.FirstUs : start);
        if (BoundAfterRemaps(o, tests, start, 2, evidence) is not { } boundAt)
            return Verdict(s, name, LabVerdicts.Error, "the samples show fewer than 2 remaps after the test flows started: the run cannot show the property", evidence);
        long bound = boundAt - start;
        evidence.Add($"test flows start {Ms(start)}, last move {Ms(converged)} (+{Ms(converged - start)}), bound +{Ms(bound)} (the second remap after the start)");
        evidence.Add($"final queues: {string.Join(", ", tests.Select(t => $"{t.Port} q{t.Final.Queue}"))}");
        if (finals.Distinct().Count() != tests.Count)
            return Verdict(s, name, LabVerdicts.Fail, $"the flows did not end up one per queue: {string.Join(", ", tests.Select(t => $"{t.Port} on q{t.Final.Queue}"))}", evidence);
        if (converged - start > bound)
            return Verdict(s, name, LabVerdicts.Fail,
                $"one per queue only {Ms(converged - start)} after the flows started, later than the second remap after the start (+{Ms(bound)})", evidence);
        var migrations = MigrationCheck(o, tracks, evidence);
        if (migrations is not null)
            return Verdict(s, name, migrations.Value.Verdict, migrations.Value.Message, evidence);
        return Verdict(s, name, LabVerdicts.Pass,
            $"placed two and two on q{tests[0].FirstQueue}/q{tests[1].FirstQueue}, one per queue {Ms(converged - start)} after the start (bound {Ms(bound)}), and stayed", evidence);
    }

    /// <summary>
    /// dynamic: a remap moves a flow only if another flow had packets on its queue in the period before.
    /// For each move seen, decided by a remap at some R in (t_old, t_new] (the flow's last datagram on
    /// the old queue and its first on the new one), some other flow must have a datagram on the old
    /// queue sent in (t_new - P, t_old]: the part of the remap's period (R - P, R] common to every such
    /// R, so a flow seen there was counted on the queue whatever R was. The flows are continuous (gaps
    /// of at most 10 ms against P = 200 ms), so a flow on the queue during the period has datagrams in
    /// that window; one that arrived with the same remap has none.
    /// </summary>
    public static PropertyVerdict LoneFlowNeverMoved(CheckScenario s, IReadOnlyList<FlowTrack> tracks)
    {
        const string name = CheckProperties.LoneFlowNeverMoved;
        long period = s.PeriodMs!.Value * 1000L;
        var moves = tracks.SelectMany(t => t.Moves()).OrderBy(m => m.FirstNewUs).ToList();
        var evidence = new List<string>();
        var lone = new List<string>();
        foreach (var m in moves)
        {
            var with = tracks.Where(t => t.Port != m.Port && t.OnQueueDuring(m.From, m.FirstNewUs - period, m.LastOldUs)).Select(t => t.Port).ToList();
            var line = $"{m.Port} q{m.From}->q{m.To} at {Ms(m.FirstNewUs)}: " + (with.Count == 0 ? "ALONE on its queue" : $"shared q{m.From} with {string.Join(' ', with)}");
            evidence.Add(line);
            if (with.Count == 0) lone.Add(line);
        }
        var alone = LoneSpans(tracks, period);
        evidence.Add($"flows that were alone on their queue for a whole period and never moved after: {alone}");
        if (lone.Count > 0)
            return Verdict(s, name, LabVerdicts.Fail, $"{lone.Count} moves of a flow that was alone on its queue: {string.Join("; ", lone)}", evidence);
        return Verdict(s, name, LabVerdicts.Pass, $"{moves.Count} moves, each of a flow sharing its queue; {alone}", evidence);
    }

    /// <summary>
    /// dynamic (converge): the mapper places the test flows as BALANCER.md predicts from the sampled state
    /// (f1, f3, f5 on queue 0 and f2, f4, f6 on queue 1 when the timers are on time); the last move comes
    /// by remap <see cref="CheckScenarios.ConvergePeriods"/> after the start, as the samples show it;
    /// from then to the end of the traffic every remap's per-queue load (balance_stats, whole periods
    /// only) differs by at most the threshold, the migration count stays put and equals the moves seen,
    /// and mqtap's per-queue datagrams per period, averaged over that span, differ by at most the threshold.
    /// </summary>
    public static PropertyVerdict ConvergesWithinThreshold(ScenarioObservation o, IReadOnlyList<FlowTrack> tracks)
    {
        var s = o.Scenario;
        const string name = CheckProperties.ConvergesWithinThreshold;
        long period = s.PeriodMs!.Value * 1000L;
        uint threshold = s.Threshold!.Value;
        var tests = tracks.Where(t => t.Plan.Role == FlowRole.Test).ToList();
        var evidence = Tracks(tracks);
        var placement = DecoyPlacement(tracks.Where(t => t.Plan.Role == FlowRole.Decoy).ToList()) is { } decoysWrong
            ? (LabVerdicts.Fail, decoysWrong) : PlacementFromSamples(o, tests, evidence);
        if (placement is { } wrong)
            return Verdict(s, name, wrong.Verdict, wrong.Message, evidence);

        long start = tests.Min(t => t.FirstUs), end = tests.Min(t => t.LastUs);
        long converged = tests.Max(t => t.Segments.Count > 1 ? t.Final.FirstUs : start);
        if (BoundAfterRemaps(o, tests, start, CheckScenarios.ConvergePeriods, evidence) is not { } boundAt)
            return Verdict(s, name, LabVerdicts.Error,
                $"the samples show fewer than {CheckScenarios.ConvergePeriods} remaps after the test flows started: the run cannot show the property", evidence);
        long bound = boundAt - start;
        evidence.Add($"test flows {Ms(start)}-{Ms(end)}, last move {Ms(converged)} (+{Ms(converged - start)}, bound +{Ms(bound)}: remap {CheckScenarios.ConvergePeriods} after the start)");
        if (converged - start > bound)
            return Verdict(s, name, LabVerdicts.Fail, $"flows still moved {Ms(converged - start)} after the start, after remap {CheckScenarios.ConvergePeriods} (+{Ms(bound)})", evidence);

        // Remaps whose whole period lies in [converged, end]: the sample before bounds the remap from below.
        var samples = o.Seen.Stats;
        var whole = samples.Where((x, i) => i > 0 && samples[i - 1].TimeUs - period >= converged && x.TimeUs <= end).ToList();
        foreach (var x in whole)
            evidence.Add($"balance_stats {Ms(x.TimeUs)}: loads {string.Join(' ', x.Stats.Queues.Select(q => q.Load))}, migrations {x.Stats.Migrations}, spread {x.Stats.LoadSpread}");
        if (samples.Count == 0)
            return Verdict(s, name, LabVerdicts.Error, "no tun_balance samples with the tap's block (is the dynamic module loaded, balancing on?)", evidence);
        if (whole.Count < 2)
            return Verdict(s, name, LabVerdicts.Error, $"only {whole.Count} remaps with a whole period after convergence were sampled", evidence);
        var wide = whole.Where(x => x.Stats.LoadSpread > threshold).ToList();
        if (wide.Count > 0)
            return Verdict(s, name, LabVerdicts.Fail,
                $"per-queue loads still differ by more than {threshold} after the flows settled: " +
                string.Join("; ", wide.Select(x => $"{Ms(x.TimeUs)}: {string.Join(' ', x.Stats.Queues.Select(q => q.Load))}")), evidence);
        if (whole.Select(x => x.Stats.Migrations).Distinct().Count() > 1)
            return Verdict(s, name, LabVerdicts.Fail, "the module still migrated flows after they settled: " +
                string.Join(" -> ", whole.Select(x => x.Stats.Migrations).Distinct()), evidence);
        var migrations = MigrationCheck(o, tracks, evidence);
        if (migrations is not null)
            return Verdict(s, name, migrations.Value.Verdict, migrations.Value.Message, evidence);

        var averages = AveragePerPeriod(o.Seen, tests.Select(t => t.Port).ToHashSet(), converged, end, period, s.Queues);
        if (averages is null)
            return Verdict(s, name, LabVerdicts.Error, "the settled span is shorter than one bucket", evidence);
        var spread = averages.Max() - averages.Min();
        evidence.Add($"mqtap per queue, datagrams per period averaged over the settled span: {string.Join(' ', averages.Select(a => a.ToString("0.0", CultureInfo.InvariantCulture)))} (spread {spread:0.0})");
        if (spread > threshold)
            return Verdict(s, name, LabVerdicts.Fail, $"mqtap's per-queue datagrams per period differ by {spread:0.0} > {threshold}", evidence);
        return Verdict(s, name, LabVerdicts.Pass,
            $"settled {Ms(converged - start)} after the start; {whole.Count} whole-period remaps after it with load spread at most " +
            $"{whole.Max(x => x.Stats.LoadSpread)} <= {threshold}, mqtap spread {spread:0.0}", evidence);
    }

    /// <summary>
    /// both: while queues are detached and re-attached under traffic: the kernel log stays clean (no
    /// "selects TX queue", WARN, BUG, lockup), every TUNSETQUEUE succeeds, nothing is read from a
    /// detached queue, every datagram sent is read from a queue attached when it was sent or else was
    /// sent in a detach window (the ring of a detached queue is purged by tun, as in stock tun; tap
    /// tx_dropped may count the same race) and no more were dropped than lost, and every flow is still
    /// delivered after the last change.
    /// </summary>
    public static PropertyVerdict QueueChangeSafe(ScenarioObservation o, IReadOnlyList<FlowTrack> tracks, string? invalid)
    {
        var s = o.Scenario;
        const string name = CheckProperties.QueueChangeSafe;
        var seen = o.Seen;
        var evidence = new List<string>();
        var problems = new List<string>();
        foreach (var e in seen.Events)
        {
            evidence.Add($"{e.Op.ToString().ToLowerInvariant()} slot {e.Slot} at {Ms(e.BeginUs)}-{Ms(e.EndUs)}: rc {e.ReturnCode} errno {e.Errno}, drained {e.DrainedBefore} before, {e.DrainedAfter} after");
            if (!e.Done || e.ReturnCode != 0) problems.Add($"TUNSETQUEUE {e.Op.ToString().ToLowerInvariant()} of slot {e.Slot} failed (rc {e.ReturnCode}, errno {e.Errno}, done {e.Done})");
        }
        foreach (var m in seen.Maps) evidence.Add($"map from {Ms(m.TimeUs)}: {string.Join(' ', m.QueueOfSlot.Select((q, i) => $"slot{i}=q{q}"))}");
        if (seen.Events.Count != s.Events.Count) problems.Add($"{seen.Events.Count} of {s.Events.Count} queue changes ran");
        if (seen.DetachedReads > 0) problems.Add($"{seen.DetachedReads} frames read from a detached queue");
        if (invalid is not null) problems.Add(invalid);

        var windows = seen.Events.Where(e => e.Op == QueueOp.Detach).Select(e => (From: e.BeginUs - DetachLeadUs, To: e.EndUs)).ToList();
        long lost = 0, unexplained = 0;
        foreach (var t in tracks)
        {
            var sent = o.Sent.Flows.FirstOrDefault(f => f.Port == t.Port)?.Sent ?? t.Plan.Count;
            var gaps = seen.Gaps.Where(g => g.Port == t.Port).ToList();
            var flow = seen.Flows.FirstOrDefault(f => f.Port == t.Port);
            long maxSeq = flow?.MaxSeq ?? -1;
            if (maxSeq < sent - 1)
                gaps.Add(new FlowGap(t.Port, maxSeq + 1, sent - 1, flow is null || maxSeq < 0 ? null : flow.LastUs, long.MaxValue));
            foreach (var g in gaps)
            {
                lost += g.Count;
                var inWindow = windows.Any(w => (g.PrevUs ?? long.MinValue) < w.To && g.NextUs > w.From);
                evidence.Add($"flow {t.Port}: #{g.FirstSeq}-{g.LastSeq} never read, sent between {(g.PrevUs is { } p ? Ms(p) : "start")} and " +
                    $"{(g.NextUs == long.MaxValue ? "end" : Ms(g.NextUs))}: {(inWindow ? "in a detach window (purged with the detached ring)" : "OUTSIDE any detach window")}");
                if (!inWindow) unexplained += g.Count;
            }
            foreach (var seg in t.Segments)
            {
                // a datagram sent while its slot's TUNSETQUEUE(attach) ran may already see the queue
                long first = seen.Events.FirstOrDefault(e => e.Op == QueueOp.Attach && e.Slot == seg.Slot && e.BeginUs <= seg.FirstUs && seg.FirstUs <= e.EndUs)
                    is { } attach ? attach.EndUs : seg.FirstUs;
                if (seen.QueueOf(seg.Slot, first) < 0 || seen.QueueOf(seg.Slot, seg.LastUs) < 0)
                    problems.Add($"flow {t.Port}: datagrams #{seg.FirstSeq}-{seg.LastSeq} read from slot {seg.Slot} while it was detached");
            }
            var lastEvent = seen.Events.Count == 0 ? long.MinValue : seen.Events.Max(e => e.EndUs);
            if (!t.Seen || t.LastUs <= lastEvent)
                problems.Add($"flow {t.Port} was not delivered after the last queue change");
        }
        long dropped = seen.TxDroppedAfter - seen.TxDroppedBefore;
        evidence.Add($"datagrams lost {lost} (outside detach windows {unexplained}), tap tx_dropped {seen.TxDroppedBefore} -> {seen.TxDroppedAfter}");
        if (unexplained > 0) problems.Add($"{unexplained} datagrams lost outside the detach windows");
        if (dropped > lost) problems.Add($"tap tx_dropped rose by {dropped}, more than the {lost} datagrams lost");
        evidence.AddRange(Tracks(tracks));
        return problems.Count == 0
            ? Verdict(s, name, LabVerdicts.Pass,
                $"{seen.Events.Count} queue changes under traffic: kernel log clean, every datagram read from an attached queue " +
                $"({lost} purged with a detached ring, tx_dropped +{dropped}), every flow delivered after the last change", evidence)
            : Verdict(s, name, LabVerdicts.Fail, string.Join("; ", problems), evidence);
    }

    /// <summary>BALANCER.md's placement on a fresh device: decoy k on queue k (all loads 0: fewest flows,
    /// then lowest index; no remap changes that, the loads being 0). Null when mqtap saw exactly that.</summary>
    private static string? DecoyPlacement(IReadOnlyList<FlowTrack> decoys)
    {
        var wrong = new List<string>();
        foreach (var (t, k) in decoys.Select((t, k) => (t, k)))
            if (!t.Seen || t.FirstQueue != k) wrong.Add($"decoy {t.Port} on q{(t.Seen ? t.FirstQueue : -1)}, predicted q{k}");
        return wrong.Count == 0 ? null : "the mapper did not place the decoys as BALANCER.md predicts on a fresh device: " + string.Join("; ", wrong);
    }

    /// <summary>The module's migration count (last balance_stats) must equal the moves mqtap saw.</summary>
    private static (string Verdict, string Message)? MigrationCheck(ScenarioObservation o, IReadOnlyList<FlowTrack> tracks, List<string> evidence)
    {
        if (o.Seen.Stats.Count == 0)
            return (LabVerdicts.Error, "no tun_balance samples with the tap's block (is the dynamic module loaded, balancing on?)");
        var moves = tracks.Sum(t => t.Moves().Count());
        var migrations = o.Seen.Stats[^1].Stats.Migrations;
        evidence.Add($"moves seen {moves}, module migrations {migrations}");
        return migrations == moves ? null
            : (LabVerdicts.Fail, $"tun_balance counts {migrations} migrations but mqtap saw {moves} moves");
    }

    /// <summary>Per queue, datagrams of <paramref name="ports"/> per period over the whole buckets inside
    /// [from, to]; null if there is none.</summary>
    private static double[]? AveragePerPeriod(MqtapReport seen, HashSet<int> ports, long fromUs, long toUs, long periodUs, int queues)
    {
        long bucketUs = seen.BucketMs * 1000L;
        long first = (fromUs + bucketUs - 1) / bucketUs, last = toUs / bucketUs; // buckets [first, last)
        if (last <= first) return null;
        var sums = new double[queues];
        foreach (var b in seen.Buckets.Where(b => ports.Contains(b.Port) && b.TimeMs * 1000 / bucketUs >= first && b.TimeMs * 1000 / bucketUs < last))
        {
            for (int slot = 0; slot < b.FramesPerSlot.Count; slot++)
            {
                int q = seen.QueueOf(slot, b.TimeMs * 1000);
                if (q >= 0 && q < queues) sums[q] += b.FramesPerSlot[slot];
            }
        }
        double periods = (last - first) * (double)bucketUs / periodUs;
        return sums.Select(x => x / periods).ToArray();
    }

    private static string LoneSpans(IReadOnlyList<FlowTrack> tracks, long period)
    {
        var names = new List<string>();
        foreach (var t in tracks)
        {
            foreach (var seg in t.Segments)
            {
                if (seg.LastUs - seg.FirstUs < period) continue;
                // alone on the queue for the segment's last whole period
                bool alone = !tracks.Any(o => o.Port != t.Port && o.OnQueueDuring(seg.Queue, seg.LastUs - period, seg.LastUs));
                if (alone && ReferenceEquals(seg, t.Final)) names.Add($"{t.Port} on q{seg.Queue}");
            }
        }
        return names.Count == 0 ? "none" : string.Join(", ", names);
    }

    private static List<string> Tracks(IReadOnlyList<FlowTrack> tracks) =>
        tracks.Select(t => $"{(t.Plan.Role == FlowRole.Decoy ? "decoy" : "flow")} {t.Port} ({t.Plan.Pps} pps): {(t.Seen ? t.Describe() : "never seen")}").ToList();

    private static PropertyVerdict Verdict(CheckScenario s, string property, string verdict, string message, IReadOnlyList<string> evidence) =>
        new(s.Name, property, verdict, message, evidence);

    private static string Ms(long us) => (us / 1000.0).ToString("0.0", CultureInfo.InvariantCulture) + " ms";
}
