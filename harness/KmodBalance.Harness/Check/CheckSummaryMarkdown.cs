using System.Globalization;
using System.Text;
using KmodBalance.Harness.Reporting;

namespace KmodBalance.Harness.Check;

/// <summary>summary.md of a check: the properties' verdicts, then what each scenario's flows and taps did.</summary>
public static class CheckSummaryMarkdown
{
    public static string Render(CheckReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var md = new StringBuilder(Markdown.Title($"deterministic check ({report.Policy})", report.Verdict.ToUpperInvariant()));
        md.Append(CultureInfo.InvariantCulture, $"accel {report.Accel}, wall {report.WallSeconds:0.0} s\n\n");
        // Which kernel the module was built for and loaded into, and what loading it did to the taint.
        foreach (var key in new[] { "backend", "kernel", "debug", "vermagic", "tun", "tcg" })
            if (report.Environment.TryGetValue(key, out var value)) md.Append(key).Append(": ").Append(value).Append("\n\n");
        if (report.Balancing is not null) md.Append("balancing: ").Append(report.Balancing).Append("\n\n");
        if (report.Tunables is { } tunables) md.Append("tunables: ").Append(Markdown.Tunables(tunables)).Append("\n\n");
        if (report.Error is not null) md.Append(Markdown.ErrorSection(report.Error));
        md.Append("## Properties\n\n| scenario | property | verdict | why |\n|---|---|---|---|\n");
        foreach (var p in report.Properties)
            md.Append(CultureInfo.InvariantCulture, $"| {p.Scenario} | {p.Property} | **{p.Verdict}** | {Markdown.Cell(p.Message)} |\n");
        md.Append('\n');
        foreach (var s in report.Scenarios)
            Scenario(md, s);
        return md.Append(Markdown.StepsSection(report.Steps, ("step", "s"), "0.0")).ToString();
    }

    private static void Scenario(StringBuilder md, ScenarioReport s)
    {
        md.Append(CultureInfo.InvariantCulture, $"## {s.Name} ({s.Seconds:0.0} s)\n\n{s.Description}.");
        if (s.PeriodMs is { } period) md.Append(CultureInfo.InvariantCulture, $" Period {period} ms, threshold {s.Threshold} segments per period.");
        md.Append("\n\n");
        if (s.Balancing is not null) md.Append("balancing: ").Append(s.Balancing).Append("\n\n");
        if (s.TunablesSet is not null) md.Append("tunables: ").Append(s.TunablesSet).Append("\n\n");
        if (s.Error is not null) md.Append("Error: ").Append(Markdown.Cell(s.Error)).Append("\n\n");
        if (s.Mqtap is not { } mq) return;
        md.Append("| flow | role | pps | start ms | datagrams | queues (sequence numbers, send times) |\n|---:|---|---:|---:|---:|---|\n");
        foreach (var t in FlowTracks.Build(new CheckScenario(s.Name, s.Description, s.Flows, s.Events, [], s.Queues, s.PeriodMs, s.Threshold), mq))
            md.Append(CultureInfo.InvariantCulture,
                $"| {t.Port} | {t.Plan.Role.ToString().ToLowerInvariant()} | {t.Plan.Pps} | {t.Plan.StartMs} | {t.Plan.Count} | {Markdown.Cell(t.Seen ? t.Describe() : "never seen")} |\n");
        md.Append('\n');
        foreach (var e in mq.Events)
            md.Append(CultureInfo.InvariantCulture, $"- {e.Op.ToString().ToLowerInvariant()} slot {e.Slot}: {e.BeginUs / 1000.0:0.0}-{e.EndUs / 1000.0:0.0} ms, rc {e.ReturnCode}\n");
        if (mq.Stats.Count > 0)
        {
            var on = mq.Stats.Where(x => !x.Stats.Off).ToList();
            var last = on.Count > 0 ? on[^1].Stats : mq.Stats[^1].Stats;
            var lastText = on.Count == 0 ? "none"
                : string.Create(CultureInfo.InvariantCulture, $"policy {last.Policy}, flows {last.Flows}, migrations {last.Migrations}, periods {last.Periods}, loads {string.Join(' ', last.Queues.Select(q => q.Load))}");
            md.Append(CultureInfo.InvariantCulture,
                $"- tun_balance: {mq.Stats.Count} samples ({on.Count} with the tap's block); last with it: {lastText}; balancers at the end {mq.Stats[^1].Stats.Balancers?.ToString(CultureInfo.InvariantCulture) ?? "-"}\n");
        }
        if (mq.FloodFrames > 0) md.Append(CultureInfo.InvariantCulture, $"- flood datagrams read: {mq.FloodFrames}\n");
        if (mq.Replies.Count > 0) md.Append(CultureInfo.InvariantCulture, $"- guest replies written: {mq.Replies.Count}\n");
        foreach (var t in mq.Toggles)
            md.Append(CultureInfo.InvariantCulture, $"- balance := {t.Value} at {t.BeginUs / 1000.0:0.0}-{t.EndUs / 1000.0:0.0} ms, read back {t.Read}\n");
        if (s.Netconsole is { } nc)
            md.Append(CultureInfo.InvariantCulture, $"- netconsole: modprobe rc {nc.ModprobeExitCode}, {nc.LinesWritten} lines, datagrams per queue {string.Join(' ', mq.Slots.Select(x => x.Netcons))}\n");
        md.Append(CultureInfo.InvariantCulture, $"- tx_dropped {mq.TxDroppedBefore} -> {mq.TxDroppedAfter}; kernel log lines {s.Dmesg?.Count ?? 0}\n\n");
    }
}
