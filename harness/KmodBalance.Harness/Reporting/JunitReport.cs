using System.Globalization;
using System.Text;
using System.Xml;
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
            new XAttribute("name", XmlSafe(s.Step)),
            new XAttribute("time", Seconds(s.Seconds))));

        var spread = new XElement("testcase",
            new XAttribute("classname", SuiteName),
            new XAttribute("name", SpreadCaseName),
            new XAttribute("time", Seconds(0)));
        int failures = 0, errors = 0;
        if (report.Verdict == LabVerdicts.Fail)
        {
            failures = 1;
            var reasons = report.Reasons.Count > 0 ? report.Reasons : ["spread verdict failed"];
            spread.Add(new XElement("failure",
                new XAttribute("message", XmlSafe(reasons[0])),
                new XAttribute("type", "SpreadFailure"),
                XmlSafe(string.Join('\n', reasons))));
        }
        else if (report.Verdict != LabVerdicts.Pass)
        {
            errors = 1;
            var message = report.Error ?? $"lab run ended with verdict '{report.Verdict}'";
            spread.Add(new XElement("error",
                new XAttribute("message", FirstLine(message)),
                new XAttribute("type", "LabError"),
                XmlSafe(message)));
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
            new XAttribute("time", Seconds(report.WallSeconds)),
            properties,
            steps,
            spread,
            new XElement("system-out", XmlSafe(SummaryMarkdown.Render(report))));

        var doc = new XDocument(
            new XDeclaration("1.0", "utf-8", null),
            new XElement("testsuites",
                new XAttribute("name", SuiteName),
                new XAttribute("tests", tests),
                new XAttribute("failures", failures),
                new XAttribute("errors", errors),
                new XAttribute("time", Seconds(report.WallSeconds)),
                suite));

        var sb = new StringBuilder();
        using (var writer = XmlWriter.Create(new Utf8StringWriter(sb), new XmlWriterSettings { Indent = true }))
            doc.Save(writer);
        return sb.ToString();
    }

    private static XElement Property(string name, string value) =>
        new("property", new XAttribute("name", XmlSafe(name)), new XAttribute("value", XmlSafe(value)));

    private static string Seconds(double seconds) => seconds.ToString("0.000", CultureInfo.InvariantCulture);

    private static string FirstLine(string text) => XmlSafe(text.Split('\n')[0].TrimEnd('\r'));

    // Console excerpts can carry control characters that XML 1.0 cannot represent at all.
    private static string XmlSafe(string text) =>
        string.Concat(text.Where(c => XmlConvert.IsXmlChar(c) || char.IsSurrogate(c)));

    private sealed class Utf8StringWriter(StringBuilder sb) : StringWriter(sb, CultureInfo.InvariantCulture)
    {
        public override Encoding Encoding => new UTF8Encoding(false);
    }
}
