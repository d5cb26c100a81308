using System.Globalization;
using System.Text;
using KmodBalance.Harness.Reporting;

namespace KmodBalance.Harness.Lab;

/// <summary>summary.md of a lab run: the report as tables a human reads first.</summary>
public static class LabSummaryMarkdown
{
    public static string Render(LabReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var md = new StringBuilder(Markdown.Title("lab", report.Verdict.ToUpperInvariant()));
        md.Append(Markdown.KeyValueTable(Overview(report))).Append('\n');

        if (report.Reasons.Count > 0)
        {
            md.Append("## Reasons\n\n");
            foreach (var reason in report.Reasons)
                md.Append("- ").Append(Markdown.Inline(reason)).Append('\n');
            md.Append('\n');
        }
        if (report.Error is not null)
            md.Append(Markdown.ErrorSection(report.Error));

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
            md.Append("\n![per-queue shares](").Append(ShareChart.FileName).Append(")\n\n");
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

        return md.Append(Markdown.StepsSection(report.Steps, ("Step", "Seconds"), "0.00"))
            .Append(Markdown.EnvironmentSection(report.Environment))
            .ToString();
    }

    private static IEnumerable<(string, string)> Overview(LabReport report)
    {
        yield return ("Verdict", $"**{report.Verdict}**");
        yield return ("Policy", report.Policy);
        if (report.Tunables is { } tunables) yield return ("Tunables", Markdown.Tunables(tunables));
        if (report.Balancing is not null) yield return ("Balancing", report.Balancing);
        yield return ("Topology", report.Topology);
        yield return ("Accel", report.Accel);
        yield return ("Test", $"{report.Test}, {report.Flows} flows x {report.DurationSeconds} s");
        yield return ("Evidence", report.Evidence ?? "(not judged)");
        yield return ("Jain's index", F(report.Jain, "0.000"));
        if (report.Tcp is { } tcp)
            yield return ("L2 TCP over netperf", string.Create(CultureInfo.InvariantCulture,
                $"TCPOFOQueue {tcp.OfoQueue}, TCPSACKReorder {tcp.SackReorder}, TCPTSReorder {tcp.TsReorder}, RetransSegs {tcp.RetransSegs}"));
        yield return ("Wall time", $"{F(report.WallSeconds, "0.0")} s");
    }

    private static string F(double value, string format) => value.ToString(format, CultureInfo.InvariantCulture);
}
