// TEMPORARY minimal stand-in for the colleague's report writer (same public API; no PNG).
// Replace this whole file with the real implementation at merge.
using System.Text;
using System.Text.Json;

namespace KmodBalance.Harness.Reporting;

public sealed record FlowReport(int Flow, double Mbps);
public sealed record QueueReport(int Queue, long Interrupts, long RxPackets, long HostPackets, double Share);
public sealed record StepTiming(string Step, double Seconds);
public sealed record LabReport(string Verdict, string Policy, string Topology, string Accel, string Test, int Flows, int DurationSeconds,
    IReadOnlyList<QueueReport> Queues, IReadOnlyList<FlowReport> FlowResults, double Jain, IReadOnlyList<string> Reasons,
    IReadOnlyList<StepTiming> Steps, double WallSeconds, string? Error, IReadOnlyDictionary<string, string> Environment);

public static class ReportWriter
{
    public static void Write(string dir, LabReport report, IReadOnlyDictionary<string, string> consoleLogs)
    {
        var full = Path.GetFullPath(dir);
        var parent = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(parent);
        var tmp = Path.Combine(parent, $".{Path.GetFileName(full)}.tmp-{Environment.ProcessId}");
        if (Directory.Exists(tmp)) Directory.Delete(tmp, true);
        Directory.CreateDirectory(Path.Combine(tmp, "consoles"));
        File.WriteAllText(Path.Combine(tmp, "report.json"), JsonSerializer.Serialize(report, new JsonSerializerOptions { WriteIndented = true }));
        foreach (var (name, log) in consoleLogs) File.WriteAllText(Path.Combine(tmp, "consoles", name + ".log"), log);
        var md = new StringBuilder();
        md.AppendLine($"# Lab run: {report.Verdict}").AppendLine();
        md.AppendLine($"policy {report.Policy}, topology {report.Topology}, accel {report.Accel}, {report.Flows} x {report.Test} for {report.DurationSeconds} s, wall {report.WallSeconds:0.0} s").AppendLine();
        if (report.Error is not null) md.AppendLine($"Error: {report.Error}").AppendLine();
        md.AppendLine("| queue | interrupts | rx packets | host packets | share |").AppendLine("|---|---|---|---|---|");
        foreach (var q in report.Queues) md.AppendLine($"| {q.Queue} | {q.Interrupts} | {q.RxPackets} | {q.HostPackets} | {q.Share:P1} |");
        md.AppendLine().AppendLine($"Jain {report.Jain:0.000}. Flows: {string.Join(", ", report.FlowResults.Select(f => $"{f.Flow}: {f.Mbps:0.00} Mbit/s"))}").AppendLine();
        foreach (var r in report.Reasons) md.AppendLine($"- {r}");
        md.AppendLine().AppendLine("| step | seconds |").AppendLine("|---|---|");
        foreach (var s in report.Steps) md.AppendLine($"| {s.Step} | {s.Seconds:0.0} |");
        File.WriteAllText(Path.Combine(tmp, "summary.md"), md.ToString());
        var failed = report.Verdict != "pass";
        File.WriteAllText(Path.Combine(tmp, "junit.xml"),
            $"<?xml version=\"1.0\"?>\n<testsuite name=\"kmb-lab\" tests=\"1\" failures=\"{(failed ? 1 : 0)}\" time=\"{report.WallSeconds:0.0}\">\n" +
            $"  <testcase name=\"spread-{System.Security.SecurityElement.Escape(report.Policy)}\" time=\"{report.WallSeconds:0.0}\">" +
            (failed ? $"<failure message=\"{System.Security.SecurityElement.Escape(report.Error ?? string.Join("; ", report.Reasons))}\"/>" : "") +
            "</testcase>\n</testsuite>\n");
        if (Directory.Exists(full)) Directory.Delete(full, true);
        Directory.Move(tmp, full);
    }
}
