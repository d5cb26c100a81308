namespace KmodBalance.Harness.Reporting;

/// <summary>The verdict words of every verb that judges: lab run, lab check and a matrix cell's stages say
/// pass/fail/error of what they judged; lab compare and lab capacity, which measure rather than judge, say
/// complete/incomplete/error of their trials. <see cref="ExitCodes.ForVerdict"/> maps each to the exit code.</summary>
public static class LabVerdicts
{
    public const string Pass = "pass";
    public const string Fail = "fail";
    public const string Error = "error";

    /// <summary>Every trial was measured.</summary>
    public const string Complete = "complete";

    /// <summary>Some trial could not be measured (the run went on).</summary>
    public const string Incomplete = "incomplete";

    /// <summary>The verdict of a verb that measures trials (compare, capacity): error when the run broke off or ran
    /// no trial, else complete or incomplete by whether every trial was measured.</summary>
    public static string OfTrials(bool brokeOff, IReadOnlyCollection<bool> measured) =>
        brokeOff || measured.Count == 0 ? Error : measured.All(m => m) ? Complete : Incomplete;

    public static bool IsKnown(string verdict) => verdict is Pass or Fail or Error;
}
