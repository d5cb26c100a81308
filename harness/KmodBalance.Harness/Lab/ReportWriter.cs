using KmodBalance.Generator;
using KmodBalance.Harness.Reporting;

namespace KmodBalance.Harness.Lab;

/// <summary>Writes a lab run's report directory, all or nothing, through <see cref="ReportDirectory"/>.</summary>
public static class ReportWriter
{
    private static readonly ReportDirectory Output = new(ShareChart.FileName, ReportDirectory.ConsolesDir);

    /// <summary>The names a lab run's report holds: a directory holding only these may be replaced.</summary>
    public static IReadOnlySet<string> OwnNames => Output.OwnNames;

    /// <summary>
    /// Writes report.json, junit.xml, summary.md, queue-shares.png and consoles/&lt;name&gt; (a copy of
    /// each console log path) into <paramref name="dir"/>; a failure leaves <paramref name="dir"/> as it was.
    /// </summary>
    /// <exception cref="ArgumentException">Unknown verdict, or a console log name that is not a plain file name.</exception>
    /// <exception cref="KmbException"><paramref name="dir"/> breaks the output-directory rule.</exception>
    public static void Write(string dir, LabReport report, IReadOnlyDictionary<string, string> consoleLogs)
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(consoleLogs);
        if (!LabVerdicts.IsKnown(report.Verdict))
            throw new ArgumentException($"Verdict must be pass, fail or error; got '{report.Verdict}'.", nameof(report));
        foreach (var name in consoleLogs.Keys)
        {
            if (name.Length == 0 || name is "." or ".." || Path.GetFileName(name) != name || name.IndexOfAny(Path.GetInvalidFileNameChars()) >= 0)
                throw new ArgumentException($"Console log name '{name}' must be a plain file name.", nameof(consoleLogs));
        }
        Output.WriteAsync(dir, LabReport.Json.Serialize(report), LabJunit.Render(report), LabSummaryMarkdown.Render(report),
        [
            ReportFile.Saved(ShareChart.FileName, path => ShareChart.SavePng(report, path)),
            // consoles/ is there even without logs: a reader of any lab report finds the same layout.
            ReportFile.Saved(ReportDirectory.ConsolesDir, consoles =>
            {
                Directory.CreateDirectory(consoles);
                foreach (var (name, source) in consoleLogs)
                    File.Copy(source, Path.Combine(consoles, name));
            }),
        ]).GetAwaiter().GetResult();
    }
}
