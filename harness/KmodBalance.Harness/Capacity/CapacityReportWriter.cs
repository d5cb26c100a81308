using KmodBalance.Generator.Output;

namespace KmodBalance.Harness.Capacity;

/// <summary>Writes a capacity run's directory all or nothing: report.json, summary.md, junit.xml, the
/// figures, raw/ with every trial's tool output and consoles/l1.log.</summary>
public static class CapacityReportWriter
{
    public const string JsonFile = "report.json";
    public const string SummaryFile = "summary.md";
    public const string JunitFile = "junit.xml";
    public const string RawDir = "raw";
    public const string ConsolesDir = "consoles";

    /// <param name="files">Relative path under raw/ or consoles/ to its text.</param>
    public static Task WriteAsync(string dir, CapacityReport report, IReadOnlyDictionary<string, string> files) =>
        AtomicDirectory.WriteAsync(dir, async staging =>
        {
            await File.WriteAllTextAsync(Path.Combine(staging, JsonFile), CapacityJson.Serialize(report));
            await File.WriteAllTextAsync(Path.Combine(staging, SummaryFile), CapacitySummaryMarkdown.Render(report));
            await File.WriteAllTextAsync(Path.Combine(staging, JunitFile), CapacityJunit.Render(report));
            CapacityCharts.SaveAll(report, staging);
            foreach (var (name, text) in files)
            {
                var path = Path.Combine(staging, name);
                Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                await File.WriteAllTextAsync(path, text);
            }
        }, ownNames: OwnNames);

    /// <summary>What a capacity report holds: a previous report may be replaced, nothing else.</summary>
    private static readonly IReadOnlySet<string> OwnNames = new HashSet<string>(
        [JsonFile, SummaryFile, JunitFile, RawDir, ConsolesDir, CapacityCharts.PerTrialFile, CapacityCharts.MeanFile, CapacityCharts.ReorderFile]);
}
