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

/// <summary>One sample described: mean, standard deviation (n-1), min, max, Student-t 95% interval of the mean.</summary>
public sealed record SampleSummary(int Count, double Mean, double StdDev, double Min, double Max, Interval MeanCi95);

public static class CompareStatistics
{
    /// <summary>Mean, standard deviation (n-1), min/max and a Student-t 95% interval of the mean
    /// (null bounds below two values). An empty sample is all zeros.</summary>
    public static SampleSummary Describe(IReadOnlyList<double> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (values.Count == 0) return new SampleSummary(0, 0, 0, 0, 0, new Interval(null, null));
        var mean = values.Mean();
        var sd = values.Count > 1 ? values.StandardDeviation() : 0;
        Interval ci = new(null, null);
        if (values.Count > 1)
        {
            var half = StudentT.InvCDF(0, 1, values.Count - 1, 0.975) * sd / Math.Sqrt(values.Count);
            ci = new Interval(mean - half, mean + half);
        }
        return new SampleSummary(values.Count, mean, sd, values.Min(), values.Max(), ci);
    }

    /// <summary>Mean, standard deviation (n-1), min/max and a Student-t 95% interval of the mean.</summary>
    public static PolicySummary Summarise(string policy, IReadOnlyList<TrialResult> trials, int queues)
    {
        ArgumentNullException.ThrowIfNull(trials);
        var measured = trials.Where(t => t.Measured && t.Policy == policy).ToList();
        var all = trials.Count(t => t.Policy == policy);
        if (measured.Count == 0) return new PolicySummary(policy, all, 0, 0, 0, 0, 0, new Interval(null, null), 0, 0, null);

        var mbps = Describe(measured.Select(t => t.TotalMbps).ToArray());
        return new PolicySummary(policy, all, measured.Count, mbps.Mean, mbps.StdDev, mbps.Min, mbps.Max, mbps.MeanCi95,
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
        var (ratio, ci) = RatioOfMeans(
            new SampleSummary(numerator.Measured, numerator.MeanMbps, numerator.StdDevMbps, numerator.MinMbps, numerator.MaxMbps, numerator.MeanCi95),
            new SampleSummary(denominator.Measured, denominator.MeanMbps, denominator.StdDevMbps, denominator.MinMbps, denominator.MaxMbps, denominator.MeanCi95));
        return new PolicyRatio(numerator.Policy, denominator.Policy, ratio, ci);
    }

    /// <summary>The ratio of two samples' means and its delta-method 95% interval (see <see cref="Ratio"/>);
    /// NaN over a zero mean, null bounds below two values on either side.</summary>
    public static (double Ratio, Interval Ci95) RatioOfMeans(SampleSummary numerator, SampleSummary denominator)
    {
        ArgumentNullException.ThrowIfNull(numerator);
        ArgumentNullException.ThrowIfNull(denominator);
        if (denominator.Mean <= 0) return (double.NaN, new Interval(null, null));
        var ratio = numerator.Mean / denominator.Mean;
        if (numerator.Count < 2 || denominator.Count < 2 || numerator.Mean <= 0) return (ratio, new Interval(null, null));

        static double RelativeVariance(SampleSummary s) => s.StdDev * s.StdDev / (s.Count * s.Mean * s.Mean);
        var a = RelativeVariance(numerator);
        var b = RelativeVariance(denominator);
        if (a + b == 0) return (ratio, new Interval(ratio, ratio));
        var df = (a + b) * (a + b) / (a * a / (numerator.Count - 1) + b * b / (denominator.Count - 1));
        var half = StudentT.InvCDF(0, 1, df, 0.975) * ratio * Math.Sqrt(a + b);
        return (ratio, new Interval(ratio - half, ratio + half));
    }

    /// <summary>The ratios a reader of the thesis looks for: dynamic over each other policy present.</summary>
    public static IReadOnlyList<PolicyRatio> DynamicRatios(IReadOnlyList<PolicySummary> summaries)
    {
        return DynamicAndOthers(summaries, s => s.Policy) is var (dynamic, others) ? [.. others.Select(s => Ratio(dynamic, s))] : [];
    }

    /// <summary>Dynamic's summary and the others it is divided by, hash first (the thesis's comparison), or
    /// null when dynamic did not run: compare's and capacity's ratios alike.</summary>
    public static (T Dynamic, IReadOnlyList<T> Others)? DynamicAndOthers<T>(IReadOnlyList<T> summaries, Func<T, string> policyOf)
        where T : class
    {
        var dynamic = summaries.FirstOrDefault(s => policyOf(s) == Policy.Dynamic.Name());
        if (dynamic is null) return null;
        return (dynamic, [.. summaries.Where(s => s != dynamic).OrderBy(s => policyOf(s) == Policy.Hash.Name() ? 0 : 1)]);
    }
}
