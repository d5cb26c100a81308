using System.Xml.Linq;

namespace KmodBalance.Harness.Reporting;

/// <summary>One trial as <see cref="TrialsJunit"/> shows it.</summary>
/// <param name="Figures">The trial's figures in one line: the testcase's system-out.</param>
/// <param name="Error">Why the trial has no measurement; null when it has one.</param>
public sealed record JunitTrial(string Policy, int Trial, double WallSeconds, string Figures, string? Error);

/// <summary>
/// junit.xml of a verb that runs trials of several policies (compare, capacity): one testsuite per
/// policy, one testcase per trial; a trial that could not be measured is an error, and a run that
/// broke outside its trials adds a "setup" suite carrying that error. Nothing is a failure: trials
/// measure, they do not judge.
/// </summary>
public static class TrialsJunit
{
    /// <param name="properties">A policy's summary figures, as name and value.</param>
    /// <param name="errorType">The setup error's type, naming the verb.</param>
    public static string Render(string suiteName, IReadOnlyList<string> policies, IReadOnlyList<JunitTrial> trials,
        Func<string, IEnumerable<(string Name, string Value)>> properties, double wallSeconds, string? error, string errorType)
    {
        var suites = policies.Select(policy =>
        {
            var own = trials.Where(t => t.Policy == policy).OrderBy(t => t.Trial).ToList();
            var cases = own.Select(t => JunitXml.TestCase($"{suiteName}.{policy}", $"trial-{t.Trial}", t.WallSeconds,
                t.Error is null ? null : JunitXml.Problem("error", t.Error, "TrialError", null),
                JunitXml.SystemOut(t.Figures))).ToList();
            return new XElement("testsuite",
                JunitXml.Tally($"{suiteName}.{policy}", cases.Count, 0, own.Count(t => t.Error is not null)),
                JunitXml.Time(own.Sum(t => t.WallSeconds)),
                new XElement("properties", properties(policy).Select(p => JunitXml.Property(p.Name, p.Value))),
                cases);
        }).ToList();
        var root = new XElement("testsuites",
            JunitXml.Tally(suiteName, trials.Count, 0, trials.Count(t => t.Error is not null)),
            JunitXml.Time(wallSeconds),
            suites);
        if (error is not null)
            root.Add(new XElement("testsuite", JunitXml.Tally($"{suiteName}.setup", 1, 0, 1),
                JunitXml.TestCase($"{suiteName}.setup", "setup", null, JunitXml.Problem("error", error, errorType, null))));
        return JunitXml.Render(root);
    }
}
