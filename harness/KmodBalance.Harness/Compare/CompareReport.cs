using System.Text.Json.Serialization;
using KmodBalance.Harness.Reporting;

namespace KmodBalance.Harness.Compare;

/// <summary>Everything one `lab compare` produced; <see cref="CompareReportWriter"/> renders it.</summary>
/// <param name="Verdict">"complete" (every trial measured), "incomplete" (some trials failed) or "error" (no trial ran).</param>
/// <param name="TrialsPerPolicy">Trials asked for per policy.</param>
public sealed record CompareReport(
    string Verdict,
    IReadOnlyList<string> Policies,
    string Test,
    int Flows,
    int DurationSeconds,
    int Queues,
    int TrialsPerPolicy,
    IReadOnlyList<PolicySummary> Summaries,
    IReadOnlyList<PolicyRatio> Ratios,
    IReadOnlyList<TrialResult> Trials,
    IReadOnlyList<StepTiming> Steps,
    double WallSeconds,
    string? Error,
    IReadOnlyDictionary<string, string> Environment)
{
    /// <summary>--threshold and --period-ms every policy's module was built with (or kmbsteer attached with).</summary>
    public Tunables? Tunables { get; init; }

    /// <summary>Mean wall time of the trials that ran, the figure a user plans a long compare with.</summary>
    public double SecondsPerTrial => Trials.Count == 0 ? 0 : Math.Round(Trials.Average(t => t.WallSeconds), 1);

    /// <summary>report.json of a compare.</summary>
    public static ReportJson<CompareReport> Json { get; } = ReportJson.For<CompareReport>(o => new CompareJsonContext(o));
}

[JsonSerializable(typeof(CompareReport))]
internal sealed partial class CompareJsonContext : JsonSerializerContext;
