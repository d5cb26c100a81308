namespace KmodBalance.Harness.Reporting;

/// <summary>How long one step of a lab verb took; every verb's report lists them.</summary>
/// <param name="Error">Set on a boot attempt that failed and was attempted again: why it failed.
/// Reports and the console show it, so a pass that needed a second boot is never silent.</param>
public sealed record StepTiming(string Step, double Seconds, string? Error = null)
{
    public bool Retried => Error is not null;

    /// <summary>Markdown: a "Retried boots" section listing each retried attempt and why it failed; empty when none.</summary>
    public static string RetriesMarkdown(IEnumerable<StepTiming> steps)
    {
        var retried = steps.Where(s => s.Retried).ToList();
        return retried.Count == 0
            ? ""
            : "## Retried boots\n\n" + string.Concat(retried.Select(s => $"- **{s.Step}**: {s.Error!.ReplaceLineEndings(" ")}\n")) + "\n";
    }
}
