using KmodBalance.Generator;
using KmodBalance.Generator.Output;

namespace KmodBalance.Harness.Reporting;

/// <summary>
/// The one writer of a verb's report directory. A verb declares the top-level names its report holds
/// and hands over its report.json, junit.xml and summary.md (every report has them) and its other
/// entries; this writes them under
/// the output-directory rule (<see cref="AtomicDirectory"/>): staged and renamed into place, so a
/// failure leaves the old report, and only an empty directory or a previous report is replaced.
/// </summary>
public sealed class ReportDirectory
{
    public const string JsonFile = "report.json";
    public const string JunitFile = "junit.xml";
    public const string SummaryFile = "summary.md";

    /// <summary>Console logs of the VMs a verb booted.</summary>
    public const string ConsolesDir = "consoles";

    /// <summary>Tool output the report's figures were read from.</summary>
    public const string RawDir = "raw";

    /// <param name="extraNames">The top-level names beyond report.json, junit.xml and summary.md.</param>
    public ReportDirectory(params IEnumerable<string> extraNames) =>
        OwnNames = new HashSet<string>([JsonFile, JunitFile, SummaryFile, .. extraNames]);

    /// <summary>The names this report writes at its top: a directory holding only these is a previous
    /// report, which may be replaced (see <see cref="OutputDirectory"/>).</summary>
    public IReadOnlySet<string> OwnNames { get; }

    /// <param name="more">The verb's other entries: figures, consoles, raw output.</param>
    /// <exception cref="ArgumentException">An entry is not a plain relative path under one of <see cref="OwnNames"/>.</exception>
    /// <exception cref="KmbException"><paramref name="dir"/> breaks the output-directory rule.</exception>
    public Task WriteAsync(string dir, string json, string junit, string summary, IEnumerable<ReportFile> more)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(dir);
        var entries = Entries(json, junit, summary, more);
        return AtomicDirectory.WriteAsync(dir, staging => WriteEntriesAsync(staging, entries), ownNames: OwnNames);
    }

    /// <summary>As <see cref="WriteAsync"/>, into a staging directory the caller holds: for a verb that
    /// opens its <see cref="OutputDirectory"/> before a long run, so a bad --report fails first.</summary>
    /// <exception cref="ArgumentException">As <see cref="WriteAsync"/>.</exception>
    public Task WriteIntoAsync(string staging, string json, string junit, string summary, IEnumerable<ReportFile> more) =>
        WriteEntriesAsync(staging, Entries(json, junit, summary, more));

    /// <exception cref="ArgumentException">As <see cref="WriteAsync"/>.</exception>
    private List<ReportFile> Entries(string json, string junit, string summary, IEnumerable<ReportFile> more)
    {
        var others = more.ToList();
        Check(others);
        return [ReportFile.Text(JsonFile, json), ReportFile.Text(JunitFile, junit), ReportFile.Text(SummaryFile, summary), .. others];
    }

    /// <summary>Before anything is written: an entry outside the report would escape it, and one under
    /// a name not declared would make the next run refuse the directory as holding what kmb did not write.</summary>
    private void Check(List<ReportFile> more)
    {
        foreach (var entry in more)
        {
            var parts = entry.RelativePath.Split('/');
            if (Path.IsPathRooted(entry.RelativePath) || parts.Any(p => p is "" or "." or ".."))
                throw new ArgumentException($"'{entry.RelativePath}' is not a plain relative path", nameof(more));
            if (!OwnNames.Contains(parts[0]))
                throw new ArgumentException(
                    $"'{entry.RelativePath}' is not under a name this report declares ({string.Join(", ", OwnNames.Order(StringComparer.Ordinal))})",
                    nameof(more));
        }
    }

    private static async Task WriteEntriesAsync(string staging, List<ReportFile> entries)
    {
        foreach (var entry in entries)
        {
            var path = Path.Combine(staging, entry.RelativePath);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            await entry.WriteTo(path);
        }
    }
}
