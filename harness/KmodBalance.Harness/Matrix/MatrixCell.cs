using KmodBalance.Harness.Reporting;

namespace KmodBalance.Harness.Matrix;

/// <summary>The verdict words of a cell's stages: LabVerdicts' pass, fail, error, and skipped for a
/// stage not asked for (--check, --run) or not reached because an earlier stage failed.</summary>
public static class StageVerdict
{
    public const string Pass = LabVerdicts.Pass;
    public const string Fail = LabVerdicts.Fail;
    public const string Error = LabVerdicts.Error;
    public const string Skipped = "skipped";
}

/// <summary>checkpatch.pl's last line: "total: E errors, W warnings, C checks, L lines checked".</summary>
public sealed record CheckpatchTotals(int Errors, int Warnings, int Checks, int Lines)
{
    public bool Clean => Errors == 0 && Warnings == 0 && Checks == 0;

    public override string ToString() => $"{Errors} errors, {Warnings} warnings, {Checks} checks";
}

/// <summary>Seconds each stage of a cell took (0 for a stage not run).</summary>
public sealed record CellTimes(double Generate, double Build, double Checkpatch, double Check, double Run, double Total);

/// <summary>
/// What one cell showed. <see cref="Build"/>, <see cref="Checkpatch"/>, <see cref="CheckVerdict"/> and
/// <see cref="RunVerdict"/> are <see cref="StageVerdict"/> words; a cell passes when every stage it
/// ran passed: built, no W=1 warning, checkpatch --strict clean, and the check and run it was asked for.
/// <see cref="CheckProblems"/> names each check property that did not pass ("flood/NAME: error - why").
/// </summary>
public sealed record MatrixCell(
    string Id,
    string Kernel,
    string Policy,
    string? Release,
    string? ImageVersion,
    string? Compiler,
    string Build,
    int? Warnings,
    IReadOnlyList<string> WarningLines,
    string Checkpatch,
    CheckpatchTotals? CheckpatchTotals,
    string CheckVerdict,
    int? CheckProperties,
    int? CheckFailed,
    IReadOnlyList<string> CheckProblems,
    string RunVerdict,
    string? Vermagic,
    string? Taint,
    string? PatchSha256,
    DateTimeOffset StartedAt,
    CellTimes Times,
    string? Error)
{
    public bool Passed =>
        Build == StageVerdict.Pass && Warnings == 0 && Checkpatch == StageVerdict.Pass &&
        CheckVerdict is StageVerdict.Pass or StageVerdict.Skipped && RunVerdict is StageVerdict.Pass or StageVerdict.Skipped &&
        Error is null;

    /// <summary>The cell as a whole: pass, fail (a stage judged the code and it failed), or error.</summary>
    public string Verdict =>
        Passed ? StageVerdict.Pass
        : Build == StageVerdict.Fail || (Warnings ?? 0) > 0 || Checkpatch == StageVerdict.Fail ||
          CheckVerdict == StageVerdict.Fail || RunVerdict == StageVerdict.Fail ? StageVerdict.Fail
        : StageVerdict.Error;
}
