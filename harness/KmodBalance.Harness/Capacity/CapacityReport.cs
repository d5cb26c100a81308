using System.Text.Json.Serialization;
using KmodBalance.Harness.Compare;
using KmodBalance.Harness.Reporting;

namespace KmodBalance.Harness.Capacity;

/// <summary>One policy's capacity trials summarised: delivered throughput (Mbit/s), delivered fraction and
/// reordering over the measured trials.</summary>
/// <param name="CoefficientOfVariation">Standard deviation over mean of the throughput (0 for a zero mean).</param>
/// <param name="Dips">Measured trials that delivered less than <see cref="CapacityOptions.DipFraction"/> of the offer.</param>
public sealed record CapacitySummary(
    string Policy,
    int Trials,
    int Measured,
    SampleSummary ThroughputMbps,
    double CoefficientOfVariation,
    double MeanDeliveredFraction,
    int Dips,
    long TotalReordered,
    double MeanReordered,
    double MeanMigrations,
    double MeanJain);

/// <summary>Everything one `lab capacity` produced; <see cref="CapacityReportWriter"/> renders it.</summary>
/// <param name="Verdict">"complete" (every trial measured), "incomplete" (some trials failed) or "error" (no trial ran).</param>
public sealed record CapacityReport(
    string Verdict,
    IReadOnlyList<string> Policies,
    int TrialsPerPolicy,
    int DurationSeconds,
    int Flows,
    int Queues,
    int FlowPps,
    int ServicePps,
    int PayloadBytes,
    double OfferedMbps,
    int Seed,
    IReadOnlyList<CapacitySummary> Summaries,
    IReadOnlyList<PolicyRatio> Ratios,
    IReadOnlyList<CapacityTrial> Trials,
    IReadOnlyList<StepTiming> Steps,
    double WallSeconds,
    string? Error,
    IReadOnlyDictionary<string, string> Environment)
{
    /// <summary>--threshold and --period-ms every policy's module was built with.</summary>
    public Tunables? Tunables { get; init; }

    public int ExitCode => ExitCodes.ForVerdict(Verdict);

    /// <summary>report.json of a capacity run.</summary>
    public static ReportJson<CapacityReport> Json { get; } = ReportJson.For<CapacityReport>(o => new CapacityJsonContext(o));

    /// <summary>Pure: the summaries and ratios of <paramref name="trials"/> (dynamic over every other policy).</summary>
    public static (IReadOnlyList<CapacitySummary> Summaries, IReadOnlyList<PolicyRatio> Ratios) Summarise(
        IReadOnlyList<string> policies, IReadOnlyList<CapacityTrial> trials)
    {
        ArgumentNullException.ThrowIfNull(policies);
        ArgumentNullException.ThrowIfNull(trials);
        var summaries = policies.Select(policy =>
        {
            var all = trials.Where(t => t.Policy == policy).ToList();
            var measured = all.Where(t => t.Measured).ToList();
            var mbps = CompareStatistics.Describe(measured.Select(t => t.ThroughputMbps).ToArray());
            double Mean(Func<CapacityTrial, double> f) => measured.Count == 0 ? 0 : measured.Average(f);
            return new CapacitySummary(policy, all.Count, measured.Count, mbps,
                mbps.Mean > 0 ? mbps.StdDev / mbps.Mean : 0,
                Mean(t => t.DeliveredFraction), measured.Count(t => t.Dipped),
                measured.Sum(t => t.Reordered), Mean(t => t.Reordered), Mean(t => t.Migrations), Mean(t => t.Jain));
        }).ToList();
        IReadOnlyList<PolicyRatio> ratios = CompareStatistics.DynamicAndOthers(summaries, s => s.Policy) is var (dynamic, others)
            ? [.. others.Select(s =>
            {
                var (ratio, ci) = CompareStatistics.RatioOfMeans(dynamic.ThroughputMbps, s.ThroughputMbps);
                return new PolicyRatio(dynamic.Policy, s.Policy, ratio, ci);
            })]
            : [];
        return (summaries, ratios);
    }
}

[JsonSerializable(typeof(CapacityReport))]
internal sealed partial class CapacityJsonContext : JsonSerializerContext;
