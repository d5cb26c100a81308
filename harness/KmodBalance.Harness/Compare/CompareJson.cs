using System.Text.Json;
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
    public const string Complete = "complete";
    public const string Incomplete = "incomplete";
    public const string Failed = "error";

    /// <summary>Mean wall time of the trials that ran, the figure a user plans a long compare with.</summary>
    public double SecondsPerTrial => Trials.Count == 0 ? 0 : Math.Round(Trials.Average(t => t.WallSeconds), 1);
}

/// <summary>report.json of a compare: camelCase, indented, source-generated.</summary>
public static class CompareJson
{
    public static string Serialize(CompareReport report) =>
        JsonSerializer.Serialize(report, CompareJsonContext.Default.CompareReport);

    /// <exception cref="JsonException">Not a compare report.json.</exception>
    public static CompareReport Deserialize(string json) =>
        JsonSerializer.Deserialize(json, CompareJsonContext.Default.CompareReport) ?? throw new JsonException("report.json contains null");
}

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    WriteIndented = true,
    // A ratio over a zero mean is NaN; keep it writable instead of failing the whole report.
    NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals)]
[JsonSerializable(typeof(CompareReport))]
internal sealed partial class CompareJsonContext : JsonSerializerContext;
