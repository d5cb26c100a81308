namespace KmodBalance.Harness.Reporting;

/// <summary>Writes a lab run's result directory, all or nothing.</summary>
public static class ReportWriter
{
    public const string JsonFile = "report.json";
    public const string JunitFile = "junit.xml";
    public const string SummaryFile = "summary.md";
    public const string ChartFile = "queue-shares.png";
    public const string ConsolesDir = "consoles";

    /// <summary>
    /// Writes report.json, junit.xml, summary.md, queue-shares.png and consoles/&lt;name&gt; (a copy of each
    /// console log path) into <paramref name="dir"/>. Everything is written into a temp dir beside
    /// <paramref name="dir"/> first and then renamed into place, so a failure leaves no half-written
    /// <paramref name="dir"/> (and an existing one untouched); an existing <paramref name="dir"/> is replaced.
    /// </summary>
    /// <exception cref="ArgumentException">Unknown verdict, or a console log name that is not a plain file name.</exception>
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

        string target = Path.TrimEndingDirectorySeparator(Path.GetFullPath(dir));
        string parent = Path.GetDirectoryName(target) ?? throw new ArgumentException($"Cannot write a report to the root '{target}'.", nameof(dir));
        string leaf = Path.GetFileName(target);
        Directory.CreateDirectory(parent);

        string temp = Path.Combine(parent, $".{leaf}.tmp-{Guid.NewGuid():N}");
        try
        {
            Directory.CreateDirectory(temp);
            WriteContents(temp, report, consoleLogs);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
        MoveIntoPlace(temp, target, parent, leaf);
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

    private static void MoveIntoPlace(string temp, string target, string parent, string leaf)
    {
        if (!Directory.Exists(target))
        {
            try
            {
                Directory.Move(temp, target);
            }
            catch
            {
                TryDelete(temp);
                throw;
            }
            return;
        }

        // Directory.Move cannot overwrite: park the old dir, move the new one in, then drop the old one.
        string old = Path.Combine(parent, $".{leaf}.old-{Guid.NewGuid():N}");
        try
        {
            Directory.Move(target, old);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
        try
        {
            Directory.Move(temp, target);
        }
        catch
        {
            Directory.Move(old, target);
            TryDelete(temp);
            throw;
        }
        TryDelete(old);
    }

    private static void TryDelete(string dir)
    {
        try
        {
            if (Directory.Exists(dir))
                Directory.Delete(dir, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a leftover dot-dir beside the report is harmless; the original error matters more.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
