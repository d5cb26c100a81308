namespace KmodBalance.Harness.Reporting;

/// <summary>One entry of a report directory: where it goes ('/'-separated, relative to the report) and
/// how it is written at that path. Written only once the directory is staged, so an entry that fails
/// (a console log gone missing) leaves the previous report as it was.</summary>
public sealed record ReportFile(string RelativePath, Func<string, Task> WriteTo)
{
    public static ReportFile Text(string relativePath, string text) =>
        new(relativePath, path => File.WriteAllTextAsync(path, text));

    /// <summary>An entry a renderer saves at the path it is given: a chart, a copied file or tree.</summary>
    public static ReportFile Saved(string relativePath, Action<string> save) =>
        new(relativePath, path =>
        {
            save(path);
            return Task.CompletedTask;
        });
}
