namespace KmodBalance.Harness.Reporting;

/// <summary>
/// kmb's exit codes (docs/ERRORS.md) and the one rule that turns a verb's verdict into one, so that
/// lab run, compare, check, capacity and matrix cannot drift apart again (each had its own switch).
/// Interrupted (130) is the command line's, not a verdict's.
/// </summary>
public static class ExitCodes
{
    public const int Success = 0;

    /// <summary>A step failed, or the verdict did.</summary>
    public const int Failed = 1;

    /// <summary>Bad usage, bad input or setup: the verb could not reach a verdict.</summary>
    public const int BadInputOrSetup = 2;

    /// <summary>pass and complete succeed; fail and incomplete (a trial not measured) failed; error means the
    /// run never reached a verdict (setup, the lab, the report), which is exit 2.</summary>
    /// <exception cref="ArgumentException">A word that is not one of <see cref="LabVerdicts"/>.</exception>
    public static int ForVerdict(string verdict) => verdict switch
    {
        LabVerdicts.Pass or LabVerdicts.Complete => Success,
        LabVerdicts.Fail or LabVerdicts.Incomplete => Failed,
        LabVerdicts.Error => BadInputOrSetup,
        _ => throw new ArgumentException($"'{verdict}' is not a verdict ({nameof(LabVerdicts)})", nameof(verdict)),
    };
}
