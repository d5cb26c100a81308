using KmodBalance.Harness.Lab;
using KmodBalance.Harness.Measurement;
using KmodBalance.Harness.Reporting;
using KmodBalance.Model.Balancing;

namespace KmodBalance.Harness.Check;

/// <summary>The properties of the opt-in interface (docs/BALANCER.md, "Opt-in"): optin, flood,
/// single-queue and netpoll. Every prediction is derived from what the run recorded (the replies
/// mqtap wrote, the balance switches, the "periods" counter and loads of the samples), never from
/// timers assumed punctual.</summary>
public static partial class ScenarioAnalyzer
{
    /// <summary>A span of send times with one predicted queue.</summary>
    private sealed record Piece(long FromUs, long ToUs, int Queue);

    /// <summary>The optin run's balancing window: from the start of the switch on to the end of the switch off.</summary>
    private static (BalanceToggle On, BalanceToggle Off)? Switches(MqtapReport seen) =>
        seen.Toggles is [{ Value: 1, Done: true } on, { Value: 0, Done: true } off] ? (on, off) : null;

    /// <summary>The queue a flow's first datagram went to: before any reply, so automq's hash queue
    /// (and the hash policy's queue, and the dynamic policy's queue for an untracked packet).</summary>
    private static int? HashQueue(FlowTrack t) =>
        t.BeforeAdmission?.Queue ?? (t.Seen ? t.Segments.MinBy(x => x.FirstSeq)!.Queue : null);

    /// <summary>
    /// optin: with balancing off (before the switch on, after the switch off) every datagram is on the
    /// queue stock automq gives it. The C# <see cref="StockAutomq"/> model is replayed with a flow hash
    /// whose hash queue is the one the flow's first datagram took, and the replies mqtap wrote (learnt
    /// by tun_get_user(); not while balancing, when tun skips automq's learning); datagrams sent during a
    /// reply's write() or a switch, or stamped less than the longest send() before one, are not judged.
    /// </summary>
    public static PropertyVerdict OffSteersAsStock(ScenarioObservation o, IReadOnlyList<FlowTrack> tracks)
    {
        var s = o.Scenario;
        const string name = CheckProperties.OffSteersAsStock;
        var evidence = Tracks(tracks);
        if (Switches(o.Seen) is not var (on, off))
            return Verdict(s, name, LabVerdicts.Error, "mqtap did not switch balancing on and then off", evidence);
        var pieces = StockPieces(o, tracks, on, off, evidence, out var problem);
        if (problem is not null)
            return Verdict(s, name, LabVerdicts.Error, problem, evidence);

        var wrong = new List<string>();
        long judged = 0, learnt = 0;
        foreach (var t in tracks)
        {
            foreach (var seg in All(t))
            {
                foreach (var p in pieces[t.Port].Where(p => p.FromUs <= seg.LastUs && p.ToUs >= seg.FirstUs))
                {
                    if (p.Queue != seg.Queue)
                        wrong.Add($"{t.Port} #{seg.FirstSeq}-{seg.LastSeq} ({Ms(seg.FirstUs)}-{Ms(seg.LastUs)}) on q{seg.Queue}, stock automq: q{p.Queue} from {Ms(p.FromUs)} to {Ms(p.ToUs)}");
                }
                if (pieces[t.Port].Any(p => p.Queue == seg.Queue && p.FromUs <= seg.LastUs && p.ToUs >= seg.FirstUs))
                {
                    judged += seg.Frames;
                    if (seg.Queue != HashQueue(t)) learnt += seg.Frames;
                }
            }
        }
        evidence.Add($"switch on {Ms(on.BeginUs)}-{Ms(on.EndUs)}, off {Ms(off.BeginUs)}-{Ms(off.EndUs)}; {o.Seen.Replies.Count} replies written; " +
                     $"datagrams stamped up to {Ms(LongestSend(o))} (the longest send()) before a change not judged");
        if (wrong.Count > 0)
            return Verdict(s, name, LabVerdicts.Fail, $"with balancing off, {wrong.Count} runs of datagrams were not where stock automq puts them: " +
                string.Join("; ", wrong.Take(4)), evidence);
        if (learnt == 0)
            return Verdict(s, name, LabVerdicts.Error, "no datagram went to a queue learnt from a reply: the run cannot show automq learning", evidence);
        return Verdict(s, name, LabVerdicts.Pass,
            $"with balancing off, each of {judged} datagrams (before {Ms(on.BeginUs)} and after {Ms(off.EndUs)}) was on stock automq's queue, " +
            $"{learnt} of them on a queue learnt from a guest reply", evidence);
    }

    /// <summary>Per flow, the send-time spans with balancing off and the queue StockAutomq predicts there.</summary>
    private static Dictionary<int, List<Piece>> StockPieces(ScenarioObservation o, IReadOnlyList<FlowTrack> tracks, BalanceToggle on,
        BalanceToggle off, List<string> evidence, out string? problem)
    {
        problem = null;
        var seen = o.Seen;
        int queues = o.Scenario.Queues;
        var result = new Dictionary<int, List<Piece>>();
        var model = new StockAutomq();
        var hashOf = new Dictionary<int, uint>();
        foreach (var t in tracks)
        {
            if (HashQueue(t) is not { } h) { problem = $"flow {t.Port} was never read"; return result; }
            // a hash whose queue (hash * n >> 32) is h, distinct per flow
            hashOf[t.Port] = (uint)(((ulong)h << 32) / (uint)queues) + (uint)t.Port;
            evidence.Add($"flow {t.Port}: first datagram on q{h} (its hash queue)");
        }
        // Every moment the prediction may change: replies (ambiguous while write() runs) and the switches.
        var replies = seen.Replies.Where(r => r.ReturnCode == 0).OrderBy(r => r.BeginUs).ToList();
        foreach (var r in seen.Replies.Where(r => r.ReturnCode != 0))
            evidence.Add($"reply for {r.Port} on slot {r.Slot} at {Ms(r.BeginUs)} failed (errno {r.Errno})");
        // A datagram is stamped before its send() picks the queue: one stamped up to the longest send
        // before a change may already see it.
        long send = LongestSend(o);
        var cuts = new List<(long From, long To, ReplySent? Reply)>();
        cuts.AddRange(replies.Select(r => (r.BeginUs - send, r.EndUs, (ReplySent?)r)));
        cuts.Add((on.BeginUs - send, off.EndUs, null));
        cuts.Sort((a, b) => a.From.CompareTo(b.From));
        foreach (var t in tracks) result[t.Port] = [];
        long from = long.MinValue / 2;
        foreach (var (cutFrom, cutTo, reply) in cuts.Append((long.MaxValue / 2, long.MaxValue / 2, null)))
        {
            if (cutFrom > from)
            {
                foreach (var t in tracks)
                {
                    // automq's answer for the whole span: its state changes only at the cuts (the 3 s
                    // ageing is evaluated at both ends; a span it would split is left unjudged)
                    var hash = hashOf[t.Port];
                    int q1 = model.Select(hash, 1, (uint)queues, (ulong)Math.Max(0, from)), q2 = model.Select(hash, 1, (uint)queues, (ulong)Math.Max(0, cutFrom - 1));
                    if (q1 == q2) result[t.Port].Add(new Piece(from + 1, cutFrom - 1, q1));
                }
            }
            // learnt by the write() unless the device balanced then (tun skips automq's learning)
            if (reply is { } r && !(r.BeginUs <= off.EndUs && r.EndUs >= on.BeginUs))
                model.GuestSent(hashOf[r.Port], (ushort)seen.QueueOf(r.Slot, r.BeginUs), (ulong)Math.Max(0, r.EndUs));
            from = Math.Max(from, cutTo);
        }
        return result;
    }

    /// <summary>The longest send() of any flow: how long after its stamp a datagram's queue may have been chosen.</summary>
    private static long LongestSend(ScenarioObservation o) => o.Sent.Flows.Select(f => f.MaxSendUs).DefaultIfEmpty(0).Max();

    private static IEnumerable<TrackSegment> All(FlowTrack t) => t.BeforeAdmission is { } b ? t.Segments.Prepend(b) : t.Segments;

    /// <summary>
    /// optin: between the end of the switch on and the start of the switch off the device balances.
    /// hash: every datagram on its flow's hash queue (where the learnt flows were before their replies).
    /// dynamic: fresh state, all last loads 0, so each flow is steered by hash until it is admitted by a
    /// datagram that finds its seen bit set, and the k-th flow admitted goes to queue k-1 (fewest flows,
    /// then lowest index): one flow per queue, none moved afterwards (equal rates, within the
    /// threshold), and the statistics show the device balancing.
    /// </summary>
    public static PropertyVerdict OnUnderTrafficBalances(ScenarioObservation o, IReadOnlyList<FlowTrack> tracks)
    {
        var s = o.Scenario;
        const string name = CheckProperties.OnUnderTrafficBalances;
        var evidence = Tracks(tracks);
        if (Switches(o.Seen) is not var (on, off))
            return Verdict(s, name, LabVerdicts.Error, "mqtap did not switch balancing on and then off", evidence);
        long from = on.EndUs, to = off.BeginUs - LongestSend(o);
        var during = o.Seen.Stats.Where(x => x.TimeUs > from && x.TimeUs < to).ToList();
        foreach (var x in during.Take(3).Concat(during.TakeLast(1)).Distinct())
            evidence.Add($"statistics {Ms(x.TimeUs)}: {Describe(x.Stats)}");
        if (!during.Any(x => !x.Stats.Off && x.Stats.Policy == s.Policy.Name() && x.Stats.Requested == 1))
            return Verdict(s, name, LabVerdicts.Fail, $"between {Ms(from)} and {Ms(to)} the statistics never showed the tap balancing with policy {s.Policy.Name()}", evidence);

        var inWindow = tracks.ToDictionary(t => t.Port, t => All(t).Where(x => x.LastUs > from && x.FirstUs < to).OrderBy(x => x.FirstSeq).ToList());
        if (inWindow.Values.Any(v => v.Count == 0))
            return Verdict(s, name, LabVerdicts.Error, "a flow had no datagram while the tap balanced", evidence);
        if (inWindow.Values.Any(v => v[0].FirstUs <= from || v[^1].LastUs >= to))
        {
            // runs crossing a switch: judge the datagrams strictly inside by their runs' queues only
            evidence.Add("(runs crossing a switch are judged by the queue they had)");
        }

        if (s.Policy == Policy.Hash)
        {
            var wrong = tracks.Where(t => inWindow[t.Port].Any(x => x.Queue != HashQueue(t)))
                .Select(t => $"{t.Port}: {string.Join(", ", inWindow[t.Port].Select(x => $"q{x.Queue} #{x.FirstSeq}-{x.LastSeq}"))}, hash queue q{HashQueue(t)}").ToList();
            return wrong.Count == 0
                ? Verdict(s, name, LabVerdicts.Pass,
                    $"balancing on ({Ms(from)}-{Ms(to)}): every flow on its hash queue ({string.Join(", ", tracks.Select(t => $"{t.Port} q{HashQueue(t)}"))}), " +
                    "the answered ones too", evidence)
                : Verdict(s, name, LabVerdicts.Fail, "balancing on, flows off their hash queue: " + string.Join("; ", wrong), evidence);
        }

        // dynamic: a flow's runs in the window: at most a short leading run on its hash queue, then one queue
        var placed = new List<(FlowTrack Track, int Queue, long AdmitMin, long AdmitMax)>();
        var problems = new List<string>();
        foreach (var t in tracks)
        {
            var runs = inWindow[t.Port].Where(x => x.LastUs > from).ToList();
            int q = runs[^1].Queue;
            var lead = runs.TakeWhile(x => x.Queue != q).ToList();
            var after = runs.Skip(lead.Count).ToList();
            // the eBPF back end steers a flow it does not track yet by its own flow hash, not the kernel's
            int h = s.Backend == LabBackend.Ebpf ? SteerObservation.UntrackedQueue(t.Port, s.Queues) : HashQueue(t)!.Value;
            // hash-steered after the switch for at most its first two datagrams (admission on the second)
            long leadLimit = from + (long)(3 * 1_000_000.0 / t.Plan.Pps) + s.SlackMs * 1000L;
            if (lead.Any(x => x.Queue != h) || lead.Any(x => x.LastUs > leadLimit) || after.Any(x => x.Queue != q))
            {
                problems.Add($"{t.Port}: {string.Join(", ", runs.Select(x => $"q{x.Queue} #{x.FirstSeq}-{x.LastSeq}"))} (hash queue q{h}): " +
                    "not hash-steered until admitted and then on one queue");
                continue;
            }
            // admitted by the first datagram on q after the switch; if q is also its hash queue, by the first or the second
            // (a run that began before the switch: its first datagram after it is one interval or a late send later)
            var first = after[0];
            long firstAfter = Math.Max(first.FirstUs, from);
            long slack = first.FirstUs > from ? 1000 : s.SlackMs * 1000L;
            long admitMax = lead.Count > 0 || first.Frames < 2 ? firstAfter
                : Math.Min(first.LastUs, firstAfter + (long)(2 * 1_000_000.0 / t.Plan.Pps) + slack);
            placed.Add((t, q, firstAfter, admitMax));
        }
        if (problems.Count > 0)
            return Verdict(s, name, LabVerdicts.Fail, "balancing on: " + string.Join("; ", problems), evidence);
        evidence.Add("placed: " + string.Join(", ", placed.OrderBy(p => p.Queue).Select(p => $"{p.Track.Port} q{p.Queue} admitted {Ms(p.AdmitMin)}-{Ms(p.AdmitMax)}")));
        if (placed.Select(p => p.Queue).Distinct().Count() != placed.Count)
            return Verdict(s, name, LabVerdicts.Fail, "balancing on, the flows are not one per queue: " +
                string.Join(", ", placed.Select(p => $"{p.Track.Port} q{p.Queue}")), evidence);
        var order = placed.OrderBy(p => p.Queue).ToList();
        if (order.Select(p => p.Queue).Where((q, i) => q != i).Any())
            return Verdict(s, name, LabVerdicts.Fail, "the flows are not on queues 0.. in admission order (all loads were 0)", evidence);
        for (int i = 0; i + 1 < order.Count; i++)
            if (order[i].AdmitMin > order[i + 1].AdmitMax)
                return Verdict(s, name, LabVerdicts.Fail,
                    $"{order[i + 1].Track.Port} was admitted before {order[i].Track.Port} but got q{order[i + 1].Queue} after its q{order[i].Queue}: " +
                    "not the least-loaded queue (fewest flows, then lowest index)", evidence);
        var migrations = during.Where(x => !x.Stats.Off).Select(x => x.Stats.Migrations).DefaultIfEmpty(0).Max();
        if (migrations != 0)
            return Verdict(s, name, LabVerdicts.Fail, $"the balancer migrated {migrations} flows that were one per queue", evidence);
        return Verdict(s, name, LabVerdicts.Pass,
            $"balancing on under traffic: each flow hash-steered until admitted, then queues 0-3 in admission order " +
            $"({string.Join(", ", order.Select(p => $"{p.Track.Port} q{p.Queue}"))}), one per queue, no migration", evidence);
    }

    /// <summary>
    /// optin: before the switch on the tap is absent from the statistics; while on it is there; from the
    /// switch off on (mqtap samples right after the write returns) it is absent again, the "balancers"
    /// count is back to its value before, and the attribute reads 0.
    /// </summary>
    public static PropertyVerdict OffAgainFreesState(ScenarioObservation o)
    {
        var s = o.Scenario;
        const string name = CheckProperties.OffAgainFreesState;
        var evidence = new List<string>();
        if (Switches(o.Seen) is not var (on, off))
            return Verdict(s, name, LabVerdicts.Error, "mqtap did not switch balancing on and then off", evidence);
        var samples = o.Seen.Stats;
        var before = samples.Where(x => x.TimeUs < on.BeginUs).ToList();
        var during = samples.Where(x => x.TimeUs > on.EndUs && x.TimeUs < off.BeginUs).ToList();
        var after = samples.Where(x => x.TimeUs > off.EndUs).ToList();
        foreach (var (label, list) in new[] { ("before", before), ("on", during), ("after", after) })
            foreach (var x in list.Take(2).Concat(list.TakeLast(1)).Distinct())
                evidence.Add($"{label} {Ms(x.TimeUs)}: {Describe(x.Stats)}");
        if (before.Count == 0 || after.Count == 0 || during.Count == 0)
            return Verdict(s, name, LabVerdicts.Error, $"samples before/on/after: {before.Count}/{during.Count}/{after.Count}", evidence);
        if (before.Any(x => x.Stats.Balancers is null))
            return Verdict(s, name, LabVerdicts.Error, "no balancer statistics (is debugfs mounted, a patched module loaded?)", evidence);
        long b0 = before[0].Stats.Balancers!.Value;
        var problems = new List<string>();
        if (before.Any(x => !x.Stats.Off || x.Stats.Balancers != b0 || x.Stats.Requested != 0))
            problems.Add("before the switch on the tap already had state or did not read 0");
        if (!during.Any(x => !x.Stats.Off && x.Stats.Balancers == b0 + 1 && x.Stats.Requested == 1))
            problems.Add($"while on, the tap never had state with balancers {b0 + 1}");
        var stale = after.Where(x => !x.Stats.Off || x.Stats.Balancers != b0 || x.Stats.Requested != 0).ToList();
        if (stale.Count > 0)
            problems.Add($"after the switch off: {Describe(stale[0].Stats)} at {Ms(stale[0].TimeUs)} (expected no device block, balancers {b0}, balance 0)");
        return problems.Count == 0
            ? Verdict(s, name, LabVerdicts.Pass,
                $"state allocated at the switch on (balancers {b0} -> {b0 + 1}) and freed by the switch off (back to {b0}, " +
                $"the tap gone from the statistics from {Ms(after[0].TimeUs)} on, {after.Count} samples)", evidence)
            : Verdict(s, name, LabVerdicts.Fail, string.Join("; ", problems), evidence);
    }

    /// <summary>
    /// flood: the 4 paced flows end on 4 different queues, judged only when the samples' "periods"
    /// counter shows at least <see cref="CheckScenarios.FloodSettlePeriods"/> whole periods without the
    /// flood before the flows ended (remap k's period is (R(k-1), R(k)]; R(k-1) is after the last sample
    /// that still showed k-2).
    /// </summary>
    public static PropertyVerdict FloodFlowsEndOnePerQueue(ScenarioObservation o, IReadOnlyList<FlowTrack> tracks)
    {
        var s = o.Scenario;
        const string name = CheckProperties.FloodFlowsEndOnePerQueue;
        var evidence = Tracks(tracks);
        if (o.Sent.Flood is not { } flood)
            return Verdict(s, name, LabVerdicts.Error, "udpflows reported no flood", evidence);
        long floodEnd = (flood.LastNs - o.Seen.AnchorNs) / 1000, end = tracks.Min(t => t.LastUs);
        var remaps = Remaps(o.Seen.Stats);
        var clean = remaps.Where(r => r.PrevPrevLastUs is { } p && p >= floodEnd && r.FirstUs <= end).ToList();
        evidence.Add($"flood {flood.Sent} datagrams, {flood.Pps} per second, last sent at {Ms(floodEnd)}; paced flows end {Ms(end)}");
        evidence.Add($"whole flood-free periods before the end: {clean.Count} (remaps {string.Join(' ', clean.Select(r => r.Periods))})");
        var last = o.Seen.Stats.LastOrDefault(x => !x.Stats.Off);
        if (last is not null) evidence.Add($"last statistics {Ms(last.TimeUs)}: {Describe(last.Stats)}");
        if (clean.Count < CheckScenarios.FloodSettlePeriods)
            return Verdict(s, name, LabVerdicts.Error,
                $"only {clean.Count} whole periods without the flood before the flows ended (the design needs {CheckScenarios.FloodSettlePeriods})", evidence);
        var finals = tracks.Select(t => (t.Port, t.Final.Queue)).ToList();
        return finals.Select(f => f.Queue).Distinct().Count() == finals.Count
            ? Verdict(s, name, LabVerdicts.Pass,
                $"after {flood.Sent} flood flows ({flood.Pps}/s) the paced flows end one per queue ({string.Join(", ", finals.Select(f => $"{f.Port} q{f.Queue}"))}), " +
                $"{clean.Count} whole periods after the flood", evidence)
            : Verdict(s, name, LabVerdicts.Fail,
                $"{clean.Count} whole periods after the flood the paced flows still share queues: {string.Join(", ", finals.Select(f => $"{f.Port} q{f.Queue}"))}", evidence);
    }

    /// <summary>A remap as the samples bound it: its "periods" value, the first sample showing it, the
    /// last reading before it (R(k) is in (LastBeforeUs, FirstUs]) and the same bound of R(k-1).</summary>
    private sealed record Remap(long Periods, long FirstUs, long LastBeforeUs, long? PrevPrevLastUs, BalanceStats Stats);

    private static List<Remap> Remaps(IReadOnlyList<StatsSample> samples)
    {
        var on = samples.Where(x => !x.Stats.Off).ToList();
        var result = new List<Remap>();
        foreach (var k in on.Select(x => x.Stats.Periods).Distinct().Order())
        {
            // remap k happened after the last reading that still showed k-1 (the first sample with k's PrevUs)
            var first = on.First(x => x.Stats.Periods == k);
            long lastBefore = first.PrevUs ?? on.LastOrDefault(x => x.Stats.Periods < k)?.TimeUs ?? long.MinValue / 2;
            result.Add(new Remap(k, first.TimeUs, lastBefore, null, first.Stats));
        }
        for (int i = 1; i < result.Count; i++)
            if (result[i].Periods == result[i - 1].Periods + 1)
                result[i] = result[i] with { PrevPrevLastUs = result[i - 1].LastBeforeUs };
        return result;
    }

    /// <summary>
    /// flood: the segments the balancer counted into its periods' loads since the state was allocated
    /// (the "counted" total, kept by the kernel so that no period needs to have been sampled: a reader
    /// starved by the flood misses some) must be every datagram tun_select_queue() steered before the
    /// last remap sampled, R in (LastBeforeUs, FirstUs]. Every datagram sent is steered (the tap has no
    /// qdisc; send errors make the run invalid), inside its send(), after its stamp: so it certainly
    /// counts if stamped more than the longest send before LastBeforeUs, and it may count if stamped
    /// before FirstUs. udpflows stamps a paced datagram between its due time and the lateness it
    /// measured, and the flood between its first and last stamp. Exact (zero tolerance) when R came after
    /// the last datagram; idle, L1's deferrable remap timer may not run again, leaving the last
    /// datagrams' period open, and then they are only bounded.
    /// </summary>
    public static PropertyVerdict FloodEveryPacketCounted(ScenarioObservation o)
    {
        var s = o.Scenario;
        const string name = CheckProperties.FloodEveryPacketCounted;
        var evidence = new List<string>();
        var remaps = Remaps(o.Seen.Stats);
        if (remaps.Count == 0)
            return Verdict(s, name, LabVerdicts.Error, "no balancer statistics were sampled", evidence);
        var final = remaps[^1];
        var (certain, possible) = SteeredBefore(o, final.LastBeforeUs, final.FirstUs);
        long read = o.Seen.Slots.Sum(x => x.Frames + x.Flood + x.Other + x.Netcons);
        long dropped = Math.Max(0, o.Seen.TxDroppedAfter - o.Seen.TxDroppedBefore);
        evidence.Add($"frames read {read} (paced {o.Seen.Slots.Sum(x => x.Frames)}, flood {o.Seen.Slots.Sum(x => x.Flood)}), tx_dropped +{dropped}");
        evidence.Add($"last remap sampled: {final.Periods} in ({Ms(final.LastBeforeUs)}, {Ms(final.FirstUs)}], counted {final.Stats.Counted?.ToString() ?? "(not printed)"}; " +
                     $"datagrams steered before it: {certain} certainly, {possible} at most");
        evidence.AddRange(remaps.Take(40).Select(r => $"remap {r.Periods} ({Ms(r.LastBeforeUs)}-{Ms(r.FirstUs)}): loads {string.Join(' ', r.Stats.Queues.Select(q => q.Load))}, flows {r.Stats.Flows}, counted {r.Stats.Counted}"));
        if (final.Stats.Counted is not { } counted)
            return Verdict(s, name, LabVerdicts.Error, "the module prints no \"counted\" total in tun_balance (built by an older kmb: rebuild it)", evidence);
        string exact = certain == possible ? "exactly" : $"between {certain} and {possible}";
        if (counted < certain)
            return Verdict(s, name, LabVerdicts.Fail,
                $"by remap {final.Periods} the periods' loads add up to {counted} segments, but tun steered at least {certain} datagrams before it: " +
                $"{certain - counted} not counted", evidence);
        if (counted > possible)
            return Verdict(s, name, LabVerdicts.Fail,
                $"by remap {final.Periods} the periods' loads add up to {counted} segments, more than the {possible} datagrams sent before it", evidence);
        return Verdict(s, name, LabVerdicts.Pass,
            $"the {final.Periods} periods' loads add up to {counted} segments, {exact} the datagrams steered before the last remap: every steered packet counted, " +
            $"{o.Sent.Flood?.Sent ?? 0} of them one-datagram flood flows", evidence);
    }

    /// <summary>Datagrams sent (so steered) before a remap in (<paramref name="afterUs"/>, <paramref name="byUs"/>]:
    /// at least those whose send() certainly ended before <paramref name="afterUs"/>, at most those
    /// stamped before <paramref name="byUs"/> (udpflows' schedule: paced datagram k is stamped between
    /// its due time and its flow's measured lateness after it).</summary>
    private static (long Certain, long Possible) SteeredBefore(ScenarioObservation o, long afterUs, long byUs)
    {
        long send = LongestSend(o), certain = 0, possible = 0;
        foreach (var f in o.Sent.Flows)
        {
            long startUs = (o.Sent.StartNs - o.Seen.AnchorNs) / 1000 + f.StartMs * 1000L;
            for (long k = 0; k < f.Sent; k++)
            {
                long slot = o.Scenario.PairedStart && k > 0 ? k - 1 : k;
                long dueUs = startUs + slot * 1_000_000 / f.Pps;
                if (dueUs + f.MaxLateUs + send < afterUs) certain++;
                if (dueUs < byUs) possible++;
            }
        }
        if (o.Sent.Flood is { } fl)
        {
            if ((fl.LastNs - o.Seen.AnchorNs) / 1000 + send < afterUs) certain += fl.Sent;
            if ((fl.FirstNs - o.Seen.AnchorNs) / 1000 < byUs) possible += fl.Sent;
        }
        return (certain, possible);
    }

    /// <summary>
    /// single-queue: a tap without IFF_MULTI_QUEUE, created while balance_default was 1, refuses
    /// balance=1 with EOPNOTSUPP and reads 0; it never appears in the statistics and the "balancers"
    /// count stays at its value before the tap existed (before, during and after the traffic): no state,
    /// hence no remap timer, which lives in it.
    /// </summary>
    public static PropertyVerdict SingleQueueNoState(ScenarioObservation o, IReadOnlyList<FlowTrack> tracks)
    {
        const int eopnotsupp = 95;
        var s = o.Scenario;
        if (s.Backend == LabBackend.Ebpf) return SingleQueueNoStateEbpf(o, tracks);
        const string name = CheckProperties.SingleQueueNoState;
        var evidence = Tracks(tracks);
        if (o.Seen.Balance is not { } b || o.DebugfsBefore is null)
            return Verdict(s, name, LabVerdicts.Error, "mqtap did not request balancing, or the statistics before the tap were not read", evidence);
        if (s.BalanceDefault is { } wanted && o.BalanceDefaultSet != wanted)
            return Verdict(s, name, LabVerdicts.Error, $"balance_default was not set to {wanted} for the tap (read {o.BalanceDefaultSet?.ToString() ?? "nothing"})", evidence);
        if (TryBalancers(o.DebugfsBefore) is not { } b0)
            return Verdict(s, name, LabVerdicts.Error, $"no balancer statistics before the tap: '{o.DebugfsBefore.Trim()}'", evidence);
        evidence.Add($"before the tap: balancers {b0}; balance_default {o.BalanceDefaultSet?.ToString() ?? "-"} while it was created; " +
            $"balance := {b.Requested}: errno {b.Errno}, reads {b.Read}, multi_queue {b.MultiQueue}");
        evidence.AddRange(o.Seen.Toggles.Select(t => $"{Ms(t.BeginUs)}: balance := {t.Value}: rc {t.ReturnCode}, errno {t.Errno}, reads {t.Read}"));
        foreach (var x in o.Seen.Stats.Take(2).Concat(o.Seen.Stats.TakeLast(1)).Distinct())
            evidence.Add($"{Ms(x.TimeUs)}: {Describe(x.Stats)}");
        if (o.DebugfsAfter is { } a) evidence.Add($"after the tap: {a.Trim().Replace('\n', ' ')}");
        if (b.MultiQueue || o.Seen.Stats.Count == 0)
            return Verdict(s, name, LabVerdicts.Error, b.MultiQueue ? "the tap was multi-queue" : "no samples", evidence);
        var problems = new List<string>();
        if (b.Errno != eopnotsupp) problems.Add($"writing 1 to balance gave errno {b.Errno}, not EOPNOTSUPP ({eopnotsupp})");
        if (b.Read != 0) problems.Add($"/sys/class/net/TAP/balance reads {b.Read}, not 0");
        if (o.Seen.Toggles is not [{ Value: 0, ReturnCode: 0, Read: 0 }])
            problems.Add("writing 0 to balance was not taken: " + (o.Seen.Toggles is [var off]
                ? $"rc {off.ReturnCode}, errno {off.Errno}, reads {off.Read}" : $"{o.Seen.Toggles.Count} writes of it ran, not 1"));
        var bad = o.Seen.Stats.Where(x => !x.Stats.Off || x.Stats.Balancers != b0 || x.Stats.Requested != 0).ToList();
        if (bad.Count > 0) problems.Add($"{Describe(bad[0].Stats)} at {Ms(bad[0].TimeUs)}: expected no device block, balancers {b0}, balance 0");
        if (o.DebugfsAfter is { } after && TryBalancers(after) != b0)
            problems.Add($"after the tap: '{after.Trim().Split('\n')[0]}', expected balancers {b0}");
        if (tracks.Any(t => t.Segments.Any(x => x.Queue != 0)))
            problems.Add("a datagram on a queue other than 0");
        return problems.Count == 0
            ? Verdict(s, name, LabVerdicts.Pass,
                $"balance=1 refused (EOPNOTSUPP), balance=0 taken, balance_default=1 left it alone: in {o.Seen.Stats.Count} samples during {tracks.Sum(t => t.Plan.Count)} " +
                $"datagrams the tap had no state (balancers stayed {b0}, no device block, balance 0), so no remap timer", evidence)
            : Verdict(s, name, LabVerdicts.Fail, string.Join("; ", problems), evidence);
    }

    /// <summary>
    /// single-queue, --backend ebpf: the same fact as the module's EOPNOTSUPP, from kmbsteer: asked to steer a
    /// tap without IFF_MULTI_QUEUE it refuses (exit 2, "single-queue device") before it sets anything, so the
    /// device never gets a program, kmbsteer records no attach and no remap (no state, no period loop) and no
    /// kmbsteer is left running (steer.sh stop finds none); every datagram is on queue 0.
    /// </summary>
    private static PropertyVerdict SingleQueueNoStateEbpf(ScenarioObservation o, IReadOnlyList<FlowTrack> tracks)
    {
        var s = o.Scenario;
        const string name = CheckProperties.SingleQueueNoState;
        var evidence = Tracks(tracks);
        if (o.Steer is not { } run || o.SteerHistory is not { } h)
            return Verdict(s, name, LabVerdicts.Error, "no kmbsteer run was recorded for the single-queue tap", evidence);
        evidence.Add($"steer.sh start exit {run.StartExitCode?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "-"}: {run.Start.Trim()}");
        evidence.Add($"steer.sh stop: {run.Stop.Trim()}");
        evidence.Add($"kmbsteer history: {(h.StartNs is null ? "none" : $"started, attach {(h.Attached ? "yes" : "no")}, {h.Remaps.Count} remaps")}");
        var problems = new List<string>();
        if (run.StartExitCode != 4 || !run.Start.Contains("exited 2", StringComparison.Ordinal) || !run.Start.Contains("single-queue", StringComparison.Ordinal))
            problems.Add($"kmbsteer was not refused with exit 2 naming a single-queue device: {run.Start.Trim()}");
        if (h.StartNs is null) problems.Add("kmbsteer's history has no start: it never ran, so its refusal shows nothing");
        if (h.Attached || h.Remaps.Count > 0 || o.Seen.Stats.Any(x => !x.Stats.Off))
            problems.Add($"kmbsteer set its program or ran periods on the single-queue tap (attach {h.Attached}, {h.Remaps.Count} remaps)");
        if (!run.Stop.Contains("not running", StringComparison.Ordinal))
            problems.Add($"a kmbsteer was still running at the end: {run.Stop.Trim()}");
        if (tracks.Any(t => t.Segments.Any(x => x.Queue != 0)))
            problems.Add("a datagram on a queue other than 0");
        return problems.Count == 0
            ? Verdict(s, name, LabVerdicts.Pass,
                $"kmbsteer refused the single-queue tap before setting anything (exit 2): no program, no remap, none left running, " +
                $"{tracks.Sum(t => t.Plan.Count)} datagrams on queue 0", evidence)
            : Verdict(s, name, LabVerdicts.Fail, string.Join("; ", problems), evidence);
    }

    private static long? TryBalancers(string file)
    {
        try
        {
            return BalanceStatsParser.ParseFile(file).Balancers;
        }
        catch (FormatException)
        {
            return null;
        }
    }

    /// <summary>
    /// netpoll: netconsole loaded on the balancing tap, every line written to /dev/kmsg went out through
    /// netpoll (IRQs off) and reached the tap, all on one queue (hash-steered, never admitted: the
    /// dynamic table never holds more than the paced flows), the tap balanced meanwhile, and the kernel
    /// log holds no splat (checked for every scenario) while every paced datagram was delivered.
    /// </summary>
    public static PropertyVerdict NetpollSafe(ScenarioObservation o, IReadOnlyList<FlowTrack> tracks)
    {
        var s = o.Scenario;
        const string name = CheckProperties.NetpollSafe;
        var evidence = Tracks(tracks);
        if (o.Netconsole is not { } nc)
            return Verdict(s, name, LabVerdicts.Error, "check-flows.sh printed no netconsole section", evidence);
        evidence.Add($"netconsole modprobe rc {nc.ModprobeExitCode}, {nc.LinesWritten} lines written: {nc.Output.Trim()}");
        if (nc.ModprobeExitCode != 0)
            return Verdict(s, name, LabVerdicts.Error, $"netconsole could not be loaded (modprobe exit {nc.ModprobeExitCode}): {nc.Output.Trim()}", evidence);
        var perSlot = o.Seen.Slots.Select(x => x.Netcons).ToList();
        long frames = perSlot.Sum();
        evidence.Add($"netconsole datagrams per queue: {string.Join(' ', perSlot)}" +
            (o.Seen.Netcons is { } seen ? $", read {Ms(seen.FirstUs)}-{Ms(seen.LastUs)}" : ""));
        var balancing = o.Seen.Stats.Where(x => !x.Stats.Off && x.Stats.Policy == s.Policy.Name()).ToList();
        if (balancing.Count > 0) evidence.Add($"last statistics: {Describe(balancing[^1].Stats)}");
        var problems = new List<string>();
        if (nc.LinesWritten < s.KmsgLines) problems.Add($"only {nc.LinesWritten} of {s.KmsgLines} lines written (the logger stalled)");
        if (frames < nc.LinesWritten) problems.Add($"{frames} netconsole datagrams for {nc.LinesWritten} lines");
        if (perSlot.Count(n => n > 0) > 1) problems.Add($"netconsole's datagrams went to several queues ({string.Join(' ', perSlot)}): not hash-steered");
        if (balancing.Count == 0) problems.Add("the tap never showed balancer state");
        long maxFlows = balancing.Select(x => x.Stats.Flows).DefaultIfEmpty(0).Max();
        if (s.Policy == Policy.Dynamic && maxFlows > tracks.Count && s.Backend == LabBackend.Module)
            problems.Add($"the flow table held {maxFlows} flows, more than the {tracks.Count} paced ones: a netpoll packet was admitted");
        // the eBPF program cannot see that IRQs are off and needs not: it takes no lock, so netconsole's flow is
        // admitted like any other; its lines must still stay on one queue (below) and the table hold no more than it
        if (s.Policy == Policy.Dynamic && maxFlows > tracks.Count + 1 && s.Backend == LabBackend.Ebpf)
            problems.Add($"the flow table held {maxFlows} flows, more than the {tracks.Count} paced ones and netconsole's");
        return problems.Count == 0
            ? Verdict(s, name, LabVerdicts.Pass,
                $"{nc.LinesWritten} lines through netconsole on the balancing tap: {frames} datagrams, all on q{perSlot.FindIndex(n => n > 0)} " +
                (s.Backend == LabBackend.Ebpf ? "(netconsole's flow tracked by the program like any flow: it takes no lock)" : "(hash-steered with IRQs off)") +
                $", table at most {maxFlows} flows, kernel log clean, every paced datagram delivered", evidence)
            : Verdict(s, name, LabVerdicts.Fail, string.Join("; ", problems), evidence);
    }

    private static string Describe(BalanceStats b) =>
        (b.Requested is { } r ? $"balance {r}, " : "") + (b.Balancers is { } n ? $"balancers {n}, " : "") +
        (b.Off ? "no device block" : $"{b.Device} policy {b.Policy} flows {b.Flows} migrations {b.Migrations} periods {b.Periods}" +
            (b.Queues.Count > 0 ? $" loads {string.Join(' ', b.Queues.Select(q => q.Load))}" : ""));
}
