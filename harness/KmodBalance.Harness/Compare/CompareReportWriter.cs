using KmodBalance.Generator.Output;

namespace KmodBalance.Harness.Compare;

/// <summary>Writes a compare's directory all or nothing: report.json, summary.md, junit.xml, the three
/// figures, and consoles/ with the logs of trials that failed.</summary>
public static class CompareReportWriter
{
    public const string JsonFile = "report.json";
    public const string SummaryFile = "summary.md";
    public const string JunitFile = "junit.xml";
    public const string ConsolesDir = "consoles";

    /// <param name="failedTrialConsoles">File name (for example "hash-2-boot1-l1.log") to the console of a boot that failed.</param>
    public static Task WriteAsync(string dir, CompareReport report, IReadOnlyDictionary<string, string> failedTrialConsoles) =>
        AtomicDirectory.WriteAsync(dir, async staging =>
        {
            await File.WriteAllTextAsync(Path.Combine(staging, JsonFile), CompareJson.Serialize(report));
            await File.WriteAllTextAsync(Path.Combine(staging, SummaryFile), CompareSummaryMarkdown.Render(report));
            await File.WriteAllTextAsync(Path.Combine(staging, JunitFile), CompareJunit.Render(report));
            CompareCharts.SaveAll(report, staging);
            if (failedTrialConsoles.Count == 0) return;
            var consoles = Directory.CreateDirectory(Path.Combine(staging, ConsolesDir)).FullName;
            foreach (var (name, text) in failedTrialConsoles)
                await File.WriteAllTextAsync(Path.Combine(consoles, Path.GetFileName(name)), text);
        }, ownNames: OwnNames);

    /// <summary>What a compare report holds: a previous report may be replaced, nothing else.</summary>
    public static readonly IReadOnlySet<string> OwnNames = new HashSet<string>(
        [JsonFile, SummaryFile, JunitFile, ConsolesDir, CompareCharts.PerTrialFile, CompareCharts.MeanFile, CompareCharts.HeatmapFile]);
}
