using System.Globalization;
using System.Text;
using KmodBalance.Harness.Reporting;

namespace KmodBalance.Harness.Matrix;

/// <summary>summary.md: one table, kernel x policy, one row per cell.</summary>
public static class MatrixSummary
{
    public static string Render(MatrixReport report)
    {
        var md = new StringBuilder(Markdown.Title("kernel matrix", report.Verdict.ToUpperInvariant()));
        var inv = CultureInfo.InvariantCulture;
        md.Append(inv, $"{report.Cells.Count(c => c.Passed)} of {report.Cells.Count} cells passed; started {report.StartedAt:yyyy-MM-dd HH:mm:ss}Z, " +
                       $"wall {report.WallSeconds:0.0} s; stages: generate, build W=1, checkpatch --strict" +
                       $"{(report.Check ? ", lab check" : "")}{(report.Run ? ", lab run" : "")}\n\n");
        md.Append("| kernel | policy | release | build | warnings | checkpatch | check | run | vermagic | taint | generate s | build s | check s | run s | total s |\n");
        md.Append("|---|---|---|---|---:|---|---|---|---|---|---:|---:|---:|---:|---:|\n");
        foreach (var c in report.Cells)
        {
            var check = c.CheckProperties is { } n ? $"{c.CheckVerdict} ({n - c.CheckFailed} of {n})" : c.CheckVerdict;
            md.Append(inv, $"| {c.Kernel} | {c.Policy} | {c.Release ?? "-"} | {Bold(c.Build)} | {c.Warnings?.ToString(inv) ?? "-"} | " +
                           $"{(c.CheckpatchTotals is { } t ? $"{Bold(c.Checkpatch)} ({t.Errors}/{t.Warnings}/{t.Checks})" : Bold(c.Checkpatch))} | " +
                           $"{Bold(check)} | {Bold(c.RunVerdict)} | {c.Vermagic ?? "-"} | {Taint(c.Taint)} | " +
                           $"{c.Times.Generate:0.0} | {c.Times.Build:0.0} | {c.Times.Check:0.0} | {c.Times.Run:0.0} | {c.Times.Total:0.0} |\n");
        }
        md.Append("\ncheckpatch: errors/warnings/checks of that tree's own scripts/checkpatch.pl --strict on the generated patch. " +
                  "taint: /sys/module/tun/taint after insmod in L1 (O out-of-tree, E unsigned).\n");
        var failed = report.Cells.Where(c => c.Error is not null || c.WarningLines.Count > 0 || c.CheckProblems.Count > 0).ToList();
        if (failed.Count > 0)
        {
            md.Append("\n## Problems\n\n");
            foreach (var c in failed)
            {
                if (c.Error is not null) md.Append(inv, $"- {c.Id}: {Markdown.Cell(c.Error)}\n");
                foreach (var w in c.WarningLines) md.Append(inv, $"- {c.Id}: `{w.Trim()}`\n");
                foreach (var p in c.CheckProblems) md.Append(inv, $"- {c.Id}: check {Markdown.Cell(p)}\n");
            }
        }
        return md.ToString();
    }

    private static string Bold(string verdict) => verdict.StartsWith(StageVerdict.Pass, StringComparison.Ordinal) || verdict == StageVerdict.Skipped
        ? verdict : $"**{verdict}**";

    private static string Taint(string? taint) => taint switch { null => "-", "" => "none", _ => taint };
}
