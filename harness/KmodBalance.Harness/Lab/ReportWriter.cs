using KmodBalance.Generator;
using KmodBalance.Generator.Output;

namespace KmodBalance.Harness.Reporting;

/// <summary>Writes a lab run's result directory, all or nothing.</summary>
public static class ReportWriter
{
    public const string JsonFile = "report.json";
    public const string JunitFile = "junit.xml";
    public const string SummaryFile = "summary.md";
    public const string ChartFile = "queue-shares.png";
    public const string ConsolesDir = "consoles";

    /// <summary>The names this writer puts in a report directory: a directory holding only these is a
    /// previous report, which may be replaced (see <see cref="OutputDirectory"/>).</summary>
    public static readonly IReadOnlySet<string> OwnNames = new HashSet<string>([JsonFile, JunitFile, SummaryFile, ChartFile, ConsolesDir]);

    /// <summary>
    /// Writes report.json, junit.xml, summary.md, queue-shares.png and consoles/&lt;name&gt; (a copy of each
    /// console log path) into <paramref name="dir"/>, under the output-directory rule: written into a
    /// staging directory and renamed into place, so a failure leaves <paramref name="dir"/> as it was;
    /// only an empty directory or a previous report is replaced, never one holding anything else.
    /// </summary>
    /// <exception cref="ArgumentException">Unknown verdict, or a console log name that is not a plain file name.</exception>
    /// <exception cref="KmbException"><paramref name="dir"/> breaks the output-directory rule.</exception>
    public static void Write(string dir, LabReport report, IReadOnlyDictionary<string, string> consoleLogs)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(dir);
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(consoleLogs);
        if (!LabVerdicts.IsKnown(report.Verdict))
            throw new ArgumentException($"Verdict must be pass, fail or error; got '{report.Verdict}'.", nameof(report));
        foreach (var name in consoleLogs.Keys)
        {
            if (name.Length == 0 || name is "." or ".." || Path.GetFileName(name) != name || name.IndexOfAny(Path.GetInvalidFileNameChars()) >= 0)
                throw new ArgumentException($"Console log name '{name}' must be a plain file name.", nameof(consoleLogs));
        }
        AtomicDirectory.WriteAsync(dir, staging =>
        {
            WriteContents(staging, report, consoleLogs);
            return Task.CompletedTask;
        }, ownNames: OwnNames).GetAwaiter().GetResult();
    }

    private static void WriteContents(string dir, LabReport report, IReadOnlyDictionary<string, string> consoleLogs)
    {
        File.WriteAllText(Path.Combine(dir, JsonFile), ReportJson.Serialize(report));
        File.WriteAllText(Path.Combine(dir, JunitFile), JunitReport.Render(report));
        File.WriteAllText(Path.Combine(dir, SummaryFile), SummaryMarkdown.Render(report));
        ShareChart.SavePng(report, Path.Combine(dir, ChartFile));

        string consoles = Directory.CreateDirectory(Path.Combine(dir, ConsolesDir)).FullName;
        foreach (var (name, source) in consoleLogs)
            File.Copy(source, Path.Combine(consoles, name));
    }
}
