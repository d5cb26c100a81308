using System.Globalization;
using System.Xml.Linq;

namespace KmodBalance.Harness.Reporting;

/// <summary>
/// junit.xml in the shape Jenkins (junit plugin) and GitLab read: testsuites > testsuite "kmb-lab" >
/// one testcase per timed step plus a "spread" testcase that carries a failure (verdict fail) or an error (verdict error).
/// </summary>
public static class JunitReport
{
    public const string SuiteName = "kmb-lab";
    public const string SpreadCaseName = "spread";

    public static string Render(LabReport report)
    {
        ArgumentNullException.ThrowIfNull(report);

        var steps = report.Steps.Select(s => new XElement("testcase",
            new XAttribute("classname", $"{SuiteName}.steps"),
            new XAttribute("name", JunitXml.Safe(s.Step)),
            new XAttribute("time", JunitXml.Seconds(s.Seconds))));

        var spread = new XElement("testcase",
            new XAttribute("classname", SuiteName),
            new XAttribute("name", SpreadCaseName),
            new XAttribute("time", JunitXml.Seconds(0)));
        int failures = 0, errors = 0;
        if (report.Verdict == LabVerdicts.Fail)
        {
            failures = 1;
            var reasons = report.Reasons.Count > 0 ? report.Reasons : ["spread verdict failed"];
            spread.Add(new XElement("failure",
                new XAttribute("message", JunitXml.Safe(reasons[0])),
                new XAttribute("type", "SpreadFailure"),
                JunitXml.Safe(string.Join('\n', reasons))));
        }
        else if (report.Verdict != LabVerdicts.Pass)
        {
            errors = 1;
            var message = report.Error ?? $"lab run ended with verdict '{report.Verdict}'";
            spread.Add(new XElement("error",
                new XAttribute("message", FirstLine(message)),
                new XAttribute("type", "LabError"),
                JunitXml.Safe(message)));
        }

        int tests = report.Steps.Count + 1;
        var properties = new XElement("properties",
            Property("policy", report.Policy),
            Property("topology", report.Topology),
            Property("accel", report.Accel),
            Property("test", report.Test),
            Property("flows", report.Flows.ToString(CultureInfo.InvariantCulture)),
            Property("durationSeconds", report.DurationSeconds.ToString(CultureInfo.InvariantCulture)),
            Property("jain", report.Jain.ToString("0.####", CultureInfo.InvariantCulture)),
            report.Environment.OrderBy(e => e.Key, StringComparer.Ordinal).Select(e => Property($"env.{e.Key}", e.Value)));

        var suite = new XElement("testsuite",
            new XAttribute("name", SuiteName),
            new XAttribute("tests", tests),
            new XAttribute("failures", failures),
            new XAttribute("errors", errors),
            new XAttribute("skipped", 0),
            new XAttribute("time", JunitXml.Seconds(report.WallSeconds)),
            properties,
            steps,
            spread,
            new XElement("system-out", JunitXml.Safe(SummaryMarkdown.Render(report))));

        return JunitXml.Render(
            new XElement("testsuites",
                new XAttribute("name", SuiteName),
                new XAttribute("tests", tests),
                new XAttribute("failures", failures),
                new XAttribute("errors", errors),
                new XAttribute("time", JunitXml.Seconds(report.WallSeconds)),
                suite));
    }

    private static XElement Property(string name, string value) =>
        new("property", new XAttribute("name", JunitXml.Safe(name)), new XAttribute("value", JunitXml.Safe(value)));

    private static string FirstLine(string text) => JunitXml.Safe(text.Split('\n')[0].TrimEnd('\r'));
}
