using System.Globalization;
using System.Text;

namespace KmodBalance.Harness.Reporting;

/// <summary>summary.md: the report as tables a human reads first.</summary>
public static class SummaryMarkdown
{
    public static string Render(LabReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var md = new StringBuilder();
        md.Append(CultureInfo.InvariantCulture, $"# KmodBalance lab: {report.Verdict.ToUpperInvariant()}\n\n");

        md.Append("| | |\n|---|---|\n");
        Row(md, "Verdict", $"**{report.Verdict}**");
        Row(md, "Policy", report.Policy);
        if (report.Balancing is not null) Row(md, "Balancing", report.Balancing);
        Row(md, "Topology", report.Topology);
        Row(md, "Accel", report.Accel);
        Row(md, "Test", $"{report.Test}, {report.Flows} flows x {report.DurationSeconds} s");
        Row(md, "Evidence", report.Evidence ?? "(not judged)");
        Row(md, "Jain's index", F(report.Jain, "0.000"));
        if (report.Tcp is { } tcp)
            Row(md, "L2 TCP over netperf", string.Create(CultureInfo.InvariantCulture,
                $"TCPOFOQueue {tcp.OfoQueue}, TCPSACKReorder {tcp.SackReorder}, TCPTSReorder {tcp.TsReorder}, RetransSegs {tcp.RetransSegs}"));
        Row(md, "Wall time", $"{F(report.WallSeconds, "0.0")} s");
        md.Append('\n');

        if (report.Reasons.Count > 0)
        {
            md.Append("## Reasons\n\n");
            foreach (var reason in report.Reasons)
                md.Append("- ").Append(Inline(reason)).Append('\n');
            md.Append('\n');
        }
        if (report.Error is not null)
            md.Append("## Error\n\n```\n").Append(report.Error.Replace("```", "'''", StringComparison.Ordinal).TrimEnd()).Append("\n```\n\n");

        md.Append(CultureInfo.InvariantCulture, $"## Queues (minimum share {F(report.MinShare * 100, "0.#")}%)\n\n");
        if (report.Queues.Count == 0)
            md.Append("No queues were measured.\n\n");
        else
        {
            md.Append("| Queue | Interrupts | rxPackets | hostPackets | Share |\n|---:|---:|---:|---:|---:|\n");
            foreach (var q in report.Queues)
            {
                string mark = q.Share < report.MinShare ? " (low)" : "";
                md.Append(CultureInfo.InvariantCulture, $"| {q.Queue} | {q.Interrupts} | {q.RxPackets} | {q.HostPackets} | {F(q.Share * 100, "0.0")}%{mark} |\n");
            }
            md.Append("\n![per-queue shares](queue-shares.png)\n\n");
        }

        if (report.Balance is { Off: false } balance)
        {
            md.Append(CultureInfo.InvariantCulture,
                $"## Balancer (/sys/kernel/debug/tun_balance after netperf)\n\nPolicy {balance.Policy}, {balance.Flows} flows tracked, " +
                $"{report.Migrations ?? 0} migrations during netperf ({balance.Migrations} in {balance.Periods} periods since the tap was created).\n\n");
            md.Append("| Queue | Load last period (segments) | Flows |\n|---:|---:|---:|\n");
            foreach (var q in balance.Queues)
                md.Append(CultureInfo.InvariantCulture, $"| {q.Queue} | {q.Load} | {q.Flows} |\n");
            md.Append('\n');
        }

        if (report.FlowResults.Count > 0)
        {
            md.Append("## Flows\n\n| Flow | Mbit/s |\n|---:|---:|\n");
            foreach (var f in report.FlowResults)
                md.Append(CultureInfo.InvariantCulture, $"| {f.Flow} | {F(f.Mbps, "0.00")} |\n");
            md.Append(CultureInfo.InvariantCulture, $"| total | {F(report.FlowResults.Sum(f => f.Mbps), "0.00")} |\n\n");
        }

        if (report.Steps.Count > 0)
        {
            md.Append("## Steps\n\n| Step | Seconds |\n|---|---:|\n");
            foreach (var s in report.Steps)
                md.Append(CultureInfo.InvariantCulture, $"| {Cell(s.Step)} | {F(s.Seconds, "0.00")} |\n");
            md.Append('\n').Append(StepTiming.RetriesMarkdown(report.Steps));
        }

        if (report.Environment.Count > 0)
        {
            md.Append("## Environment\n\n| | |\n|---|---|\n");
            foreach (var (key, value) in report.Environment.OrderBy(e => e.Key, StringComparer.Ordinal))
                Row(md, key, value);
            md.Append('\n');
        }
        return md.ToString();
    }

    private static void Row(StringBuilder md, string key, string value) =>
        md.Append("| ").Append(Cell(key)).Append(" | ").Append(Cell(value)).Append(" |\n");

    // A table cell ends at '|' or a newline.
    private static string Cell(string text) => Inline(text).Replace("|", "\\|", StringComparison.Ordinal);

    private static string Inline(string text) => text.ReplaceLineEndings(" ");

    private static string F(double value, string format) => value.ToString(format, CultureInfo.InvariantCulture);
}
