using System.Globalization;
using System.Xml.Linq;
using KmodBalance.Harness.Reporting;

namespace KmodBalance.Harness.Capacity;

/// <summary>junit.xml of a capacity run: one testsuite per policy, one testcase per trial; a trial that
/// could not be measured is an error. Properties carry the policy's summary figures.</summary>
public static class CapacityJunit
{
    public const string SuiteName = "kmb-capacity";

    public static string Render(CapacityReport r)
    {
        ArgumentNullException.ThrowIfNull(r);
        var suites = r.Policies.Select(policy =>
        {
            var trials = r.Trials.Where(t => t.Policy == policy).OrderBy(t => t.Trial).ToList();
            var s = r.Summaries.FirstOrDefault(x => x.Policy == policy);
            var cases = trials.Select(t =>
            {
                var c = new XElement("testcase",
                    new XAttribute("classname", $"{SuiteName}.{policy}"),
                    new XAttribute("name", $"trial-{t.Trial}"),
                    new XAttribute("time", JunitXml.Seconds(t.WallSeconds)),
                    new XElement("system-out", JunitXml.Safe(string.Create(CultureInfo.InvariantCulture,
                        $"{t.ThroughputMbps:0.000} Mbit/s, delivered {t.DeliveredFraction:P1}, drops {t.Drops}, reordered {t.Reordered}, " +
                        $"migrations {t.Migrations}, Jain {t.Jain:0.000}, balancing {t.Balancing}"))));
                if (t.Error is not null)
                    c.AddFirst(new XElement("error", new XAttribute("message", JunitXml.Safe(t.Error)), new XAttribute("type", "TrialError")));
                return c;
            }).ToList();
            var props = new XElement("properties",
                Property("meanMbps", s?.ThroughputMbps.Mean.ToString("0.000", CultureInfo.InvariantCulture) ?? ""),
                Property("stdDevMbps", s?.ThroughputMbps.StdDev.ToString("0.000", CultureInfo.InvariantCulture) ?? ""),
                Property("dips", s?.Dips.ToString(CultureInfo.InvariantCulture) ?? ""),
                Property("reordered", s?.TotalReordered.ToString(CultureInfo.InvariantCulture) ?? ""));
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
                    new XElement("error", new XAttribute("message", JunitXml.Safe(r.Error)), new XAttribute("type", "CapacityError")))));
        return JunitXml.Render(root);
    }

    private static XElement Property(string name, string value) =>
        new("property", new XAttribute("name", name), new XAttribute("value", JunitXml.Safe(value)));
}
