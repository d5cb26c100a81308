using System.Globalization;
using System.Xml.Linq;
using KmodBalance.Harness.Reporting;

namespace KmodBalance.Harness.Lab;

/// <summary>
/// junit.xml of a lab run: testsuites > testsuite "kmb-lab" > one testcase per timed step plus a
/// "spread" testcase that carries a failure (verdict fail) or an error (verdict error).
/// </summary>
public static class LabJunit
{
    private const string SuiteName = "kmb-lab";
    private const string SpreadCaseName = "spread";

    public static string Render(LabReport report)
    {
        ArgumentNullException.ThrowIfNull(report);

        var steps = report.Steps.Select(s => JunitXml.TestCase($"{SuiteName}.steps", s.Step, s.Seconds));
        var spread = JunitXml.TestCase(SuiteName, SpreadCaseName, 0, Problem(report));
        int failures = report.Verdict == LabVerdicts.Fail ? 1 : 0;
        int errors = report.Verdict is LabVerdicts.Fail or LabVerdicts.Pass ? 0 : 1;
        int tests = report.Steps.Count + 1;
        var properties = new XElement("properties",
            JunitXml.Property("policy", report.Policy),
            JunitXml.Property("topology", report.Topology),
            JunitXml.Property("accel", report.Accel),
            JunitXml.Property("test", report.Test),
            JunitXml.Property("flows", report.Flows.ToString(CultureInfo.InvariantCulture)),
            JunitXml.Property("durationSeconds", report.DurationSeconds.ToString(CultureInfo.InvariantCulture)),
            JunitXml.Property("jain", report.Jain.ToString("0.####", CultureInfo.InvariantCulture)),
            report.Environment.OrderBy(e => e.Key, StringComparer.Ordinal).Select(e => JunitXml.Property($"env.{e.Key}", e.Value)));

        var suite = new XElement("testsuite",
            JunitXml.Tally(SuiteName, tests, failures, errors),
            new XAttribute("skipped", 0),
            JunitXml.Time(report.WallSeconds),
            properties,
            steps,
            spread,
            JunitXml.SystemOut(LabSummaryMarkdown.Render(report)));
        return JunitXml.Render(new XElement("testsuites", JunitXml.Tally(SuiteName, tests, failures, errors), JunitXml.Time(report.WallSeconds), suite));
    }

    /// <summary>The spread case's failure or error; null on a pass.</summary>
    private static XElement? Problem(LabReport report)
    {
        if (report.Verdict == LabVerdicts.Fail)
        {
            var reasons = report.Reasons.Count > 0 ? report.Reasons : ["spread verdict failed"];
            return JunitXml.Problem("failure", reasons[0], "SpreadFailure", string.Join('\n', reasons));
        }
        if (report.Verdict == LabVerdicts.Pass) return null;
        var message = report.Error ?? $"lab run ended with verdict '{report.Verdict}'";
        return JunitXml.Problem("error", message.Split('\n')[0].TrimEnd('\r'), "LabError", message);
    }
}
