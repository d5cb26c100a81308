using MathNet.Numerics.Distributions;
using MathNet.Numerics.Statistics;

namespace KmodBalance.Harness.Compare;

/// <summary>A two-sided 95% confidence interval; null bounds when there are too few trials to say.</summary>
public sealed record Interval(double? Low, double? High);

/// <summary>One policy's trials, summarised (throughput in Mbit/s over the measured trials).</summary>
/// <param name="AllQueuesUsedShare">Fraction of measured trials in which every queue carried traffic.</param>
/// <param name="MeanMigrations">Mean flows moved per trial; null for a module without a balancer.</param>
public sealed record PolicySummary(
    string Policy,
    int Trials,
    int Measured,
    double MeanMbps,
    double StdDevMbps,
    double MinMbps,
    double MaxMbps,
    Interval MeanCi95,
    double AllQueuesUsedShare,
    double MeanJain,
    double? MeanMigrations);

/// <summary>Mean throughput of <paramref name="Numerator"/> over that of <paramref name="Denominator"/>.</summary>
public sealed record PolicyRatio(string Numerator, string Denominator, double Ratio, Interval Ci95);

public static class CompareStatistics
{
    /// <summary>Mean, standard deviation (n-1), min/max and a Student-t 95% interval of the mean.</summary>
    public static PolicySummary Summarise(string policy, IReadOnlyList<TrialResult> trials, int queues)
    {
        ArgumentNullException.ThrowIfNull(trials);
        var measured = trials.Where(t => t.Measured && t.Policy == policy).ToList();
        var all = trials.Count(t => t.Policy == policy);
        if (measured.Count == 0) return new PolicySummary(policy, all, 0, 0, 0, 0, 0, new Interval(null, null), 0, 0, null);

        var mbps = measured.Select(t => t.TotalMbps).ToArray();
        var mean = mbps.Mean();
        var sd = mbps.Length > 1 ? mbps.StandardDeviation() : 0;
        Interval ci = new(null, null);
        if (mbps.Length > 1)
        {
            var half = StudentT.InvCDF(0, 1, mbps.Length - 1, 0.975) * sd / Math.Sqrt(mbps.Length);
            ci = new Interval(mean - half, mean + half);
        }
        return new PolicySummary(policy, all, measured.Count, mean, sd, mbps.Min(), mbps.Max(), ci,
            measured.Count(t => t.QueuesUsed == queues) / (double)measured.Count,
            measured.Average(t => t.Jain),
            measured.Any(t => t.Migrations is not null) ? measured.Average(t => (double)(t.Migrations ?? 0)) : null);
    }

    /// <summary>
    /// Ratio of means with a delta-method 95% interval: the relative variance of a ratio is about the
    /// sum of the relative variances of the two means, with Welch-Satterthwaite degrees of freedom.
    /// Null bounds when either policy has fewer than two measured trials or a zero mean.
    /// </summary>
    public static PolicyRatio Ratio(PolicySummary numerator, PolicySummary denominator)
    {
        ArgumentNullException.ThrowIfNull(numerator);
        ArgumentNullException.ThrowIfNull(denominator);
        if (denominator.MeanMbps <= 0)
            return new PolicyRatio(numerator.Policy, denominator.Policy, double.NaN, new Interval(null, null));
        var ratio = numerator.MeanMbps / denominator.MeanMbps;
        if (numerator.Measured < 2 || denominator.Measured < 2 || numerator.MeanMbps <= 0)
            return new PolicyRatio(numerator.Policy, denominator.Policy, ratio, new Interval(null, null));

        double RelativeVariance(PolicySummary s) => s.StdDevMbps * s.StdDevMbps / (s.Measured * s.MeanMbps * s.MeanMbps);
        var a = RelativeVariance(numerator);
        var b = RelativeVariance(denominator);
        if (a + b == 0) return new PolicyRatio(numerator.Policy, denominator.Policy, ratio, new Interval(ratio, ratio));
        var df = (a + b) * (a + b) / (a * a / (numerator.Measured - 1) + b * b / (denominator.Measured - 1));
        var half = StudentT.InvCDF(0, 1, df, 0.975) * ratio * Math.Sqrt(a + b);
        return new PolicyRatio(numerator.Policy, denominator.Policy, ratio, new Interval(ratio - half, ratio + half));
    }

    /// <summary>The ratios a reader of the thesis looks for: dynamic over each other policy present.</summary>
    public static IReadOnlyList<PolicyRatio> DynamicRatios(IReadOnlyList<PolicySummary> summaries)
    {
        var dynamic = summaries.FirstOrDefault(s => s.Policy == "dynamic");
        if (dynamic is null) return [];
        return summaries.Where(s => s.Policy != "dynamic").OrderBy(s => s.Policy == "hash" ? 0 : 1)
            .Select(s => Ratio(dynamic, s)).ToList();
    }
}
