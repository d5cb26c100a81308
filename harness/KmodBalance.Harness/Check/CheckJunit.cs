using System.Xml.Linq;
using KmodBalance.Harness.Reporting;

namespace KmodBalance.Harness.Check;

/// <summary>junit.xml of a check: one testcase per property (a failure when it failed, an error when it
/// could not be shown), and a "setup" testcase with the error of a run that broke.</summary>
public static class CheckJunit
{
    private const string SuiteName = "kmb-lab-check";

    public static string Render(CheckReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var cases = report.Properties.Select(p => Case(report, p)).ToList();
        if (report.Error is not null)
            cases.Add(JunitXml.TestCase($"{SuiteName}.{report.Policy}", "setup", report.WallSeconds,
                JunitXml.Problem("error", report.Error.Split('\n')[0], "LabError", report.Error)));
        int failures = cases.Count(c => c.Element("failure") is not null), errors = cases.Count(c => c.Element("error") is not null);
        var suite = new XElement("testsuite",
            JunitXml.Tally($"{SuiteName}.{report.Policy}", cases.Count, failures, errors),
            new XAttribute("skipped", 0), JunitXml.Time(report.WallSeconds),
            new XElement("properties",
                JunitXml.Property("policy", report.Policy),
                JunitXml.Property("accel", report.Accel),
                report.Environment.OrderBy(e => e.Key, StringComparer.Ordinal).Select(e => JunitXml.Property($"env.{e.Key}", e.Value))),
            cases);
        return JunitXml.Render(new XElement("testsuites", JunitXml.Tally(SuiteName, cases.Count, failures, errors), JunitXml.Time(report.WallSeconds), suite));
    }

    /// <summary>A property's testcase, timed by its scenario.</summary>
    private static XElement Case(CheckReport report, PropertyVerdict p) =>
        JunitXml.TestCase($"{SuiteName}.{report.Policy}.{p.Scenario}", p.Property,
            report.Scenarios.FirstOrDefault(s => s.Name == p.Scenario)?.Seconds ?? 0,
            Problem(p),
            JunitXml.SystemOut(p.Message + "\n" + string.Join('\n', p.Evidence)));

    /// <summary>A failed property's failure, an unshown one's error; null for a pass.</summary>
    private static XElement? Problem(PropertyVerdict p) => p.Verdict switch
    {
        LabVerdicts.Pass => null,
        LabVerdicts.Fail => JunitXml.Problem("failure", p.Message, "PropertyFailed", string.Join('\n', p.Evidence)),
        _ => JunitXml.Problem("error", p.Message, "NotShown", string.Join('\n', p.Evidence)),
    };
}
