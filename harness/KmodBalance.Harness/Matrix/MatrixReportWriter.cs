using KmodBalance.Harness.Reporting;

namespace KmodBalance.Harness.Matrix;

/// <summary>The files of a matrix report, written through <see cref="ReportDirectory"/> into the staging
/// directory of the report's <see cref="KmodBalance.Generator.Output.OutputDirectory"/>, which
/// <see cref="MatrixRun"/> opens before the first cell (renamed into place in one step).</summary>
public static class MatrixReportWriter
{
    // Named here for MatrixRun's list of the report's names, which the report directory is made from.
    public const string JsonFile = ReportDirectory.JsonFile;
    public const string SummaryFile = ReportDirectory.SummaryFile;
    public const string JunitFile = ReportDirectory.JunitFile;
    public const string KcidbFile = "kcidb.json";
    /// <summary>cells/ID/: the patch, manifest, checkpatch output and the cell's check and run reports.</summary>
    public const string CellsDir = "cells";

    private static readonly ReportDirectory Output = new(MatrixRun.OwnNames);

    /// <summary>What of a cell's work directory the report keeps (never the generated tun.c or the build tree).</summary>
    private static readonly string[] CellFiles = ["checkpatch.txt", "module/manifest.json"];

    public static Task WriteIntoAsync(string staging, MatrixReport report, string workDir) =>
        Output.WriteIntoAsync(staging, report.ToJson(), MatrixJunit.Render(report), MatrixSummary.Render(report),
        [
            ReportFile.Text(KcidbFile, Kcidb.Render(report)),
            .. report.Cells.Select(cell => ReportFile.Saved($"{CellsDir}/{cell.Id}", to => CopyCell(Path.Combine(workDir, cell.Id), to))),
        ]);

    private static void CopyCell(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var rel in CellFiles.Where(f => File.Exists(Path.Combine(from, f))))
            File.Copy(Path.Combine(from, rel), Path.Combine(to, Path.GetFileName(rel)));
        foreach (var patch in Directory.Exists(Path.Combine(from, "module")) ? Directory.GetFiles(Path.Combine(from, "module"), "*.patch") : [])
            File.Copy(patch, Path.Combine(to, Path.GetFileName(patch)));
        foreach (var sub in new[] { "check", "run" }.Where(d => Directory.Exists(Path.Combine(from, d))))
            CopyTree(Path.Combine(from, sub), Path.Combine(to, sub));
    }

    private static void CopyTree(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var f in Directory.GetFiles(from)) File.Copy(f, Path.Combine(to, Path.GetFileName(f)));
        foreach (var d in Directory.GetDirectories(from)) CopyTree(d, Path.Combine(to, Path.GetFileName(d)));
    }
}
