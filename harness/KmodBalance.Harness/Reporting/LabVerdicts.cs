namespace KmodBalance.Harness.Reporting;

/// <summary>The verdict words of lab run and lab check (and of a matrix cell's stages).</summary>
public static class LabVerdicts
{
    public const string Pass = "pass";
    public const string Fail = "fail";
    public const string Error = "error";

    public static bool IsKnown(string verdict) => verdict is Pass or Fail or Error;
}
