using System.Globalization;
using ScottPlot;

namespace KmodBalance.Harness.Capacity;

/// <summary>The thesis's figures for one capacity run: delivered throughput per trial (its fig. 4.3), mean
/// throughput with 95% error bars (fig. 4.4), and reordered datagrams per trial and policy.</summary>
public static class CapacityCharts
{
    public const string PerTrialFile = "fig-4.3-throughput-per-trial.png";
    public const string MeanFile = "fig-4.4-mean-throughput.png";
    public const string ReorderFile = "reordered-per-trial.png";

    private static readonly Color[] Palette = [Colors.SteelBlue, Colors.DarkOrange, Colors.ForestGreen, Colors.Purple, Colors.Crimson];

    public static void SaveAll(CapacityReport report, string dir)
    {
        ArgumentNullException.ThrowIfNull(report);
        SavePerTrial(report, Path.Combine(dir, PerTrialFile), t => t.ThroughputMbps, "delivered throughput (Mbit/s)",
            $"Delivered throughput per trial ({report.Flows} flows x {report.FlowPps}/s, {report.Queues} queues x {report.ServicePps}/s)",
            Math.Max(report.OfferedMbps, report.Trials.Select(t => t.ThroughputMbps).DefaultIfEmpty(0).Max()));
        SaveMeans(report, Path.Combine(dir, MeanFile));
        SavePerTrial(report, Path.Combine(dir, ReorderFile), t => t.Reordered, "reordered datagrams",
            "Datagrams delivered after a later one of their flow, per trial", report.Trials.Select(t => (double)t.Reordered).DefaultIfEmpty(0).Max());
    }

    private static void SavePerTrial(CapacityReport report, string path, Func<CapacityTrial, double> value, string yLabel, string title, double top)
    {
        var plot = new Plot();
        for (var i = 0; i < report.Policies.Count; i++)
        {
            var trials = report.Trials.Where(t => t.Policy == report.Policies[i] && t.Measured).OrderBy(t => t.Trial).ToArray();
            if (trials.Length == 0) continue;
            var line = plot.Add.Scatter(trials.Select(t => (double)t.Trial).ToArray(), trials.Select(value).ToArray());
            line.Color = Palette[i % Palette.Length];
            line.MarkerSize = 8;
            line.LegendText = report.Policies[i];
        }
        var trialNumbers = Enumerable.Range(1, report.TrialsPerPolicy).Select(t => (double)t).ToArray();
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(trialNumbers,
            trialNumbers.Select(t => t.ToString(CultureInfo.InvariantCulture)).ToArray());
        plot.ShowLegend(Alignment.LowerRight);
        plot.Axes.SetLimitsY(0, Math.Max(1, top * 1.15));
        plot.Title(title);
        plot.XLabel("trial (fresh source ports each)");
        plot.YLabel(yLabel);
        plot.SavePng(path, 800, 450);
    }

    private static void SaveMeans(CapacityReport report, string path)
    {
        var plot = new Plot();
        var bars = report.Summaries.Select((s, i) => new Bar
        {
            Position = i,
            Value = s.ThroughputMbps.Mean,
            Error = s.ThroughputMbps.MeanCi95.High is { } hi ? hi - s.ThroughputMbps.Mean : 0,
            FillColor = Palette[i % Palette.Length],
            Label = s.ThroughputMbps.Mean.ToString("0.00", CultureInfo.InvariantCulture),
        }).ToArray();
        if (bars.Length > 0) plot.Add.Bars(bars);
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
            report.Summaries.Select((_, i) => (double)i).ToArray(), report.Summaries.Select(s => s.Policy).ToArray());
        plot.Axes.SetLimitsY(0, Math.Max(1, Math.Max(report.OfferedMbps, bars.Select(b => b.Value + b.Error).DefaultIfEmpty(0).Max()) * 1.2));
        plot.Title($"Mean delivered throughput, error bars 95% CI ({report.TrialsPerPolicy} trials per policy)");
        plot.YLabel("mean delivered throughput (Mbit/s)");
        plot.SavePng(path, 800, 450);
    }
}
