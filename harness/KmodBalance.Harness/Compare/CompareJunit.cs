using System.Globalization;
using System.Xml.Linq;
using KmodBalance.Harness.Reporting;

namespace KmodBalance.Harness.Compare;

/// <summary>junit.xml of a compare: one testsuite per policy, one testcase per trial; a trial that could
/// not be measured is an error. Properties carry the policy's summary figures.</summary>
public static class CompareJunit
{
    public const string SuiteName = "kmb-compare";

    public static string Render(CompareReport r)
    {
        ArgumentNullException.ThrowIfNull(r);
        var suites = r.Policies.Select(policy =>
        {
            var trials = r.Trials.Where(t => t.Policy == policy).OrderBy(t => t.Trial).ToList();
            var summary = r.Summaries.FirstOrDefault(s => s.Policy == policy);
            var cases = trials.Select(t =>
            {
                var c = new XElement("testcase",
                    new XAttribute("classname", $"{SuiteName}.{policy}"),
                    new XAttribute("name", $"trial-{t.Trial}"),
                    new XAttribute("time", JunitXml.Seconds(t.WallSeconds)),
                    new XElement("system-out", JunitXml.Safe(
                        $"{t.TotalMbps.ToString("0.00", CultureInfo.InvariantCulture)} Mbit/s, {t.QueuesUsed} queues used, " +
                        $"Jain {t.Jain.ToString("0.000", CultureInfo.InvariantCulture)}, migrations {t.Migrations?.ToString(CultureInfo.InvariantCulture) ?? "-"}")));
                if (t.Error is not null)
                    c.AddFirst(new XElement("error", new XAttribute("message", JunitXml.Safe(t.Error)), new XAttribute("type", "TrialError")));
                return c;
            }).ToList();
            var props = new XElement("properties",
                Property("meanMbps", summary?.MeanMbps.ToString("0.00", CultureInfo.InvariantCulture) ?? ""),
                Property("stdDevMbps", summary?.StdDevMbps.ToString("0.00", CultureInfo.InvariantCulture) ?? ""),
                Property("allQueuesUsedShare", summary?.AllQueuesUsedShare.ToString("0.00", CultureInfo.InvariantCulture) ?? ""),
                Property("test", r.Test));
            return new XElement("testsuite",
                new XAttribute("name", $"{SuiteName}.{policy}"),
                new XAttribute("tests", cases.Count),
                new XAttribute("failures", 0),
                new XAttribute("errors", trials.Count(t => t.Error is not null)),
                new XAttribute("time", JunitXml.Seconds(trials.Sum(t => t.WallSeconds))),
                props, cases);
        }).ToList();
        var root = new XElement("testsuites",
            new XAttribute("name", SuiteName),
            new XAttribute("tests", r.Trials.Count),
            new XAttribute("failures", 0),
            new XAttribute("errors", r.Trials.Count(t => t.Error is not null)),
            new XAttribute("time", JunitXml.Seconds(r.WallSeconds)),
            suites);
        if (r.Error is not null)
            root.Add(new XElement("testsuite", new XAttribute("name", $"{SuiteName}.setup"), new XAttribute("tests", 1),
                new XAttribute("failures", 0), new XAttribute("errors", 1),
                new XElement("testcase", new XAttribute("classname", $"{SuiteName}.setup"), new XAttribute("name", "setup"),
                    new XElement("error", new XAttribute("message", JunitXml.Safe(r.Error)), new XAttribute("type", "CompareError")))));
        return JunitXml.Render(root);
    }

    private static XElement Property(string name, string value) =>
        new("property", new XAttribute("name", name), new XAttribute("value", JunitXml.Safe(value)));

}
