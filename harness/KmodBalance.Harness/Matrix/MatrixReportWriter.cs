namespace KmodBalance.Harness.Matrix;

/// <summary>The files of a matrix report, written into the staging directory of the report's
/// <see cref="KmodBalance.Generator.Output.OutputDirectory"/> (renamed into place in one step).</summary>
public static class MatrixReportWriter
{
    public const string JsonFile = "report.json";
    public const string SummaryFile = "summary.md";
    public const string JunitFile = "junit.xml";
    public const string KcidbFile = "kcidb.json";
    /// <summary>cells/ID/: the patch, manifest, checkpatch output and the cell's check and run reports.</summary>
    public const string CellsDir = "cells";

    /// <summary>What of a cell's work directory the report keeps (never the generated tun.c or the build tree).</summary>
    private static readonly string[] CellFiles = ["checkpatch.txt", "module/manifest.json"];

    public static async Task WriteIntoAsync(string staging, MatrixReport report, string workDir)
    {
        await File.WriteAllTextAsync(Path.Combine(staging, JsonFile), report.ToJson());
        await File.WriteAllTextAsync(Path.Combine(staging, SummaryFile), MatrixSummary.Render(report));
        await File.WriteAllTextAsync(Path.Combine(staging, JunitFile), MatrixJunit.Render(report));
        await File.WriteAllTextAsync(Path.Combine(staging, KcidbFile), Kcidb.Render(report));
        foreach (var cell in report.Cells)
        {
            var from = Path.Combine(workDir, cell.Id);
            var to = Path.Combine(staging, CellsDir, cell.Id);
            Directory.CreateDirectory(to);
            foreach (var rel in CellFiles.Where(f => File.Exists(Path.Combine(from, f))))
                File.Copy(Path.Combine(from, rel), Path.Combine(to, Path.GetFileName(rel)));
            foreach (var patch in Directory.Exists(Path.Combine(from, "module")) ? Directory.GetFiles(Path.Combine(from, "module"), "*.patch") : [])
                File.Copy(patch, Path.Combine(to, Path.GetFileName(patch)));
            foreach (var sub in new[] { "check", "run" }.Where(d => Directory.Exists(Path.Combine(from, d))))
                CopyTree(Path.Combine(from, sub), Path.Combine(to, sub));
        }
    }

    private static void CopyTree(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var f in Directory.GetFiles(from)) File.Copy(f, Path.Combine(to, Path.GetFileName(f)));
        foreach (var d in Directory.GetDirectories(from)) CopyTree(d, Path.Combine(to, Path.GetFileName(d)));
    }
}
