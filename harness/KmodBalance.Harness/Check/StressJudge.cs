using System.Text.RegularExpressions;
using KmodBalance.Harness.Measurement;
using KmodBalance.Harness.Reporting;

namespace KmodBalance.Harness.Check;

/// <summary>How many times each stress step repeats what it does; the full set is the issue's, CI runs a shortened one.</summary>
public sealed record StressPlan(int DetachCycles = 1000, int TunableChanges = 1000, int Toggles = 1000, int FloodFlows = 100_000,
    int FloodSeconds = 10, int EbpfCycles = 100, int NetconsoleLines = 150)
{
    public const string ScenarioName = "stress";

    /// <summary>A tenth of everything: for CI, where the debug kernel runs the module on TCG.</summary>
    public static StressPlan Short { get; } = new(100, 100, 100, 10_000, 3, 10, 50);

    /// <summary>stress.sh's environment.</summary>
    public IReadOnlyDictionary<string, string> Environment => new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["KMB_DETACH"] = $"{DetachCycles}", ["KMB_TUNABLES"] = $"{TunableChanges}", ["KMB_TOGGLES"] = $"{Toggles}",
        ["KMB_FLOOD"] = $"{FloodFlows}", ["KMB_FLOOD_S"] = $"{FloodSeconds}", ["KMB_EBPF"] = $"{EbpfCycles}", ["KMB_LINES"] = $"{NetconsoleLines}",
    };

    /// <summary>A bound on the whole script: the steps' own bounds plus the kmemleak scans.</summary>
    public TimeSpan Bound => TimeSpan.FromSeconds(6 * 160 + FloodSeconds + 2 * 620);
}

/// <summary>A console splat the stock, unmodified tun produces under the same stress: quoted, not held against the policy.</summary>
public sealed record KnownStockSplat(string Name, string Why, Func<string, bool> Matches);

/// <summary>
/// Judges a stress run: each step did what it was asked with no error, the flows aged out,
/// kmemleak found nothing allocated through tun, the module unloaded, and L1's console
/// carries no KASAN, lockdep, UBSAN, WARN, BUG, RCU stall or hung task line that stock tun
/// does not produce itself.
/// </summary>
public static partial class StressJudge
{
    public const string Scenario = StressPlan.ScenarioName;

    /// <summary>Stock 6.1 tun's netpoll path: netconsole's target_list_lock (IRQs off) then tun_net_xmit's ptr_ring producer_lock.
    /// Lockdep words it by which use of producer_lock it saw first: HARDIRQ-safe -> HARDIRQ-unsafe when a sender took
    /// it with IRQs on before netpoll took it (stress.sh starts netconsole only once frames flow, for that reason), an
    /// irq lock inversion with the chain target_list_lock --> producer_lock when netpoll came first.</summary>
    public static readonly IReadOnlyList<KnownStockSplat> KnownStock =
    [
        new("stock-tun-netpoll-producer-lock",
            "lockdep's report of netconsole's target_list_lock (IRQs off) before tun_net_xmit()'s ptr_ring producer_lock " +
            "(taken with IRQs on by every sender); the unmodified 6.1 tun gives the same report (`kmb lab check --policy stock --kernel debug --scenario stress`)",
            excerpt => (excerpt.Contains("HARDIRQ-safe -> HARDIRQ-unsafe", StringComparison.Ordinal) &&
                        excerpt.Contains("producer_lock", StringComparison.Ordinal) &&
                        excerpt.Contains("target_list_lock", StringComparison.Ordinal)) ||
                       (excerpt.Contains("possible irq lock inversion dependency detected", StringComparison.Ordinal) &&
                        excerpt.Contains("target_list_lock --> &r->producer_lock", StringComparison.Ordinal))),
    ];

    public static IReadOnlyList<PropertyVerdict> Judge(StressOutput output, StressPlan plan, string console)
    {
        var verdicts = new List<PropertyVerdict>
        {
            Detach(output.Step("detach"), plan),
            Tunables(output, plan),
            Flood(output.Step("flood"), output.Balancer, plan),
            Ebpf(output.Step("ebpf"), plan),
            Delete(output.Step("delete"), output.Step("rmmod-after-delete")),
            Netconsole(output.Step("netconsole"), plan),
            Leaks(output.Step("kmemleak-after-delete"), output.Step("kmemleak")),
            Rmmod(output.Step("rmmod"), output.Ended),
            Console(console),
        };
        return verdicts;
    }

    private static PropertyVerdict Verdict(string property, bool pass, string message, IReadOnlyList<string>? evidence = null) =>
        new(Scenario, property, pass ? LabVerdicts.Pass : LabVerdicts.Fail, message, evidence ?? []);

    private static PropertyVerdict Missing(string property, string step) =>
        new(Scenario, property, LabVerdicts.Error, $"the script printed no result for step {step}", []);

    private static PropertyVerdict Detach(StressStep? s, StressPlan plan)
    {
        const string p = "queues-detached-and-attached-under-traffic";
        if (s is null) return Missing(p, "detach");
        var done = s.Number("detach_cycles");
        var errors = s.Number("detach_errors");
        return Verdict(p, s.ExitCode == 0 && done == plan.DetachCycles && errors == 0 && UnderTraffic(s),
            $"{done?.ToString() ?? "?"} of {plan.DetachCycles} detach/attach cycles, {errors?.ToString() ?? "?"} refused " +
            $"(first error {s.Value("first_error") ?? "?"}); {Traffic(s)}; tapstress exit {s.ExitCode}", s.Lines);
    }

    /// <summary>The churn began once frames were arriving, and frames kept arriving during it.</summary>
    private static bool UnderTraffic(StressStep s) =>
        s.Number("churn_after_frames") is > 0 and var before && s.Number("frames") is { } all && all > before;

    private static string Traffic(StressStep s) =>
        $"{s.Value("churn_after_frames") ?? "?"} frames read before the churn began, {s.Value("frames") ?? "?"} by its end";

    private static PropertyVerdict Tunables(StressOutput output, StressPlan plan)
    {
        const string p = "tunables-and-balance-switched-under-traffic";
        var s = output.Step("tunables");
        if (s is null) return Missing(p, "tunables");
        var toggles = s.Number("toggles");
        var tunables = s.Number("tunables");
        var wantToggles = output.Balancer ? plan.Toggles : 0;
        var ok = s.ExitCode == 0 && toggles == wantToggles && (!output.Dynamic || tunables == plan.TunableChanges);
        return Verdict(p, ok,
            (output.Dynamic ? $"{tunables?.ToString() ?? "?"} of {plan.TunableChanges} period/threshold changes over their whole ranges (out-of-range values refused), " : "no tunables (not dynamic), ") +
            $"{toggles?.ToString() ?? "?"} of {wantToggles} balance off/on switches, under 8 flows; step exit {s.ExitCode}", s.Lines);
    }

    private static PropertyVerdict Flood(StressStep? s, bool balancer, StressPlan plan)
    {
        const string p = "flood-then-every-flow-ages-out";
        if (s is null) return Missing(p, "flood");
        var left = s.Number("flows");
        var flood = s.Lines.FirstOrDefault(l => l.StartsWith("flood ", StringComparison.Ordinal)) is { } line
            ? new StressStep("flood", 0, [line]) : null;
        var sent = flood?.Number("sent");
        return Verdict(p, s.ExitCode == 0 && left == 0 && sent > 0,
            $"{sent?.ToString() ?? "no"} of {plan.FloodFlows} random-port one-datagram flows sent at {flood?.Value("pps") ?? "?"} per second " +
            $"(bound {plan.FloodSeconds} s) beside 8 paced flows; then {left?.ToString() ?? "?"} flows left in the table " +
            $"{s.Value("after_ms") ?? "?"} ms after the traffic ended" + (balancer ? "" : " (no balancer: no table)"), s.Lines);
    }

    private static PropertyVerdict Ebpf(StressStep? s, StressPlan plan)
    {
        const string p = "steering-ebpf-set-and-removed-under-traffic";
        if (s is null) return Missing(p, "ebpf");
        var done = s.Number("ebpf_cycles");
        var errors = s.Number("ebpf_errors");
        return Verdict(p, s.ExitCode == 0 && done == plan.EbpfCycles && errors == 0 && UnderTraffic(s),
            $"{done?.ToString() ?? "?"} of {plan.EbpfCycles} TUNSETSTEERINGEBPF set/remove cycles, {errors?.ToString() ?? "?"} refused; " +
            $"{Traffic(s)}; tapstress exit {s.ExitCode}", s.Lines);
    }

    private static PropertyVerdict Delete(StressStep? s, StressStep? rmmod)
    {
        const string p = "tap-deleted-under-traffic-then-rmmod";
        if (s is null || rmmod is null) return Missing(p, s is null ? "delete" : "rmmod-after-delete");
        return Verdict(p, s.ExitCode == 0 && rmmod.ExitCode == 0,
            $"ip link del under 8 flows: {(s.Value("tap_gone") == "1" ? "the queues saw the tap go" : "the tap did not go")} " +
            $"({s.Value("tap_gone_errno") ?? "?"}); rmmod tun exit {rmmod.ExitCode}", [.. s.Lines, .. rmmod.Lines]);
    }

    private static PropertyVerdict Netconsole(StressStep? s, StressPlan plan)
    {
        const string p = "netconsole-over-the-tap-under-traffic";
        if (s is null) return Missing(p, "netconsole");
        var lines = s.Number("lines");
        return Verdict(p, s.ExitCode == 0 && lines == plan.NetconsoleLines,
            $"{lines?.ToString() ?? "?"} of {plan.NetconsoleLines} kernel log lines sent through netpoll over the balancing tap while 8 flows ran; exit {s.ExitCode}", s.Lines);
    }

    private static PropertyVerdict Leaks(StressStep? afterDelete, StressStep? atEnd)
    {
        const string p = "kmemleak-nothing-from-tun";
        if (afterDelete is null || atEnd is null) return Missing(p, afterDelete is null ? "kmemleak-after-delete" : "kmemleak");
        if (afterDelete.ExitCode == 98 || atEnd.ExitCode == 98)
            return new(Scenario, p, LabVerdicts.Error, "this kernel has no kmemleak (/sys/kernel/debug/kmemleak): run it with --kernel debug", []);
        var fromTun = TunLeaks(afterDelete).Concat(TunLeaks(atEnd)).ToList();
        return Verdict(p, afterDelete.ExitCode == 0 && atEnd.ExitCode == 0 && fromTun.Count == 0,
            $"{fromTun.Count(l => l.StartsWith("unreferenced object", StringComparison.Ordinal))} unreferenced objects allocated through tun " +
            $"(scans after the tap was deleted and at the end; {afterDelete.Value("unreferenced") ?? "?"} and {atEnd.Value("unreferenced") ?? "?"} in the whole kernel)",
            fromTun);
    }

    /// <summary>The lines between "--- from tun" and "--- end".</summary>
    private static IEnumerable<string> TunLeaks(StressStep s) =>
        s.Lines.SkipWhile(l => l != "--- from tun").Skip(1).TakeWhile(l => l != "--- end");

    private static PropertyVerdict Rmmod(StressStep? s, bool ended)
    {
        const string p = "rmmod-succeeds-at-the-end";
        if (s is null) return Missing(p, "rmmod");
        return Verdict(p, s.ExitCode == 0 && ended, $"rmmod tun exit {s.ExitCode}{(ended ? "" : "; the script did not reach its end")}", s.Lines);
    }

    private static PropertyVerdict Console(string console)
    {
        const string p = "debug-console-clean";
        var splats = FindSplats(console);
        var ours = splats.Where(s => s.Known is null).ToList();
        var known = splats.Where(s => s.Known is not null).ToList();
        var message = ours.Count == 0
            ? "no KASAN, lockdep, UBSAN, WARN, BUG, RCU stall or hung task line on L1's console" +
              (known.Count > 0 ? $" beyond stock tun's own ({string.Join("; ", known.Select(k => k.Known!.Why))})" : "")
            : $"{ours.Count} splat(s) on L1's console, the first: {ours[0].Line}";
        var evidence = splats.SelectMany(s =>
            new[] { $"{(s.Known is null ? "" : $"[known: {s.Known.Name}] ")}line {s.LineNumber}: {s.Line}" }.Concat(s.Excerpt.Split('\n')));
        return Verdict(p, ours.Count == 0, message, [.. evidence]);
    }

    /// <summary>One report on the console: its first line, a generous excerpt, and whether stock tun makes it too.</summary>
    public sealed record Splat(int LineNumber, string Line, string Excerpt, KnownStockSplat? Known);

    /// <summary>Lines a sanitised kernel prints when it finds a bug; stricter than <see cref="ConsoleScanner"/> (every WARNING counts).</summary>
    [GeneratedRegex(
        @"\bBUG: |KASAN:|UBSAN:|WARNING: |possible recursive locking|possible circular locking|inconsistent lock state|lock order detected|" +
        @"suspicious RCU usage|sleeping function called from invalid context|ODEBUG:|list_(?:add|del) corruption|\bOops\b|kernel BUG at|" +
        @"self-detected stall|detected stalls? on CPU|rcu: INFO:|blocked for more than|Kernel panic|general protection fault|refcount_t:",
        RegexOptions.CultureInvariant)]
    private static partial Regex SplatPattern();

    /// <summary>Pure: every splat on the console (a report's first line; the lines of one report are not counted twice).</summary>
    public static IReadOnlyList<Splat> FindSplats(string console)
    {
        const int ExcerptLines = 120;
        var lines = TextLines.Split(console);
        var splats = new List<Splat>();
        var skipUntil = -1;
        for (var i = 0; i < lines.Length; i++)
        {
            if (i <= skipUntil || !SplatPattern().IsMatch(lines[i])) continue;
            var to = Math.Min(lines.Length - 1, i + ExcerptLines);
            // a report ends with its stack dump (lockdep, KASAN, UBSAN) or its end marker (WARN, BUG)
            var end = Enumerable.Range(i + 1, Math.Max(0, to - i)).FirstOrDefault(j =>
                lines[j].Contains("</TASK>", StringComparison.Ordinal) || lines[j].Contains("---[ end trace", StringComparison.Ordinal), to);
            var excerpt = string.Join('\n', lines[Math.Max(0, i - 2)..(end + 1)]);
            splats.Add(new Splat(i + 1, lines[i].Trim(), excerpt, KnownStock.FirstOrDefault(k => k.Matches(excerpt))));
            skipUntil = end;
        }
        return splats;
    }
}
