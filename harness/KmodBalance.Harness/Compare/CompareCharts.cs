using System.Globalization;
using ScottPlot;

namespace KmodBalance.Harness.Compare;

/// <summary>The thesis's figures for one compare: throughput per trial (its fig. 4.3), mean throughput
/// with 95% error bars (fig. 4.4), and a heat map of every trial's per-queue packet shares.</summary>
public static class CompareCharts
{
    public const string PerTrialFile = "fig-4.3-throughput-per-trial.png";
    public const string MeanFile = "fig-4.4-mean-throughput.png";
    public const string HeatmapFile = "queue-share-heatmap.png";

    private static readonly Color[] Palette = [Colors.SteelBlue, Colors.DarkOrange, Colors.ForestGreen, Colors.Purple];

    public static void SaveAll(CompareReport report, string dir)
    {
        ArgumentNullException.ThrowIfNull(report);
        SavePerTrial(report, Path.Combine(dir, PerTrialFile));
        SaveMeans(report, Path.Combine(dir, MeanFile));
        SaveHeatmap(report, Path.Combine(dir, HeatmapFile));
    }

    private static void SavePerTrial(CompareReport report, string path)
    {
        var plot = new Plot();
        for (var i = 0; i < report.Policies.Count; i++)
        {
            var trials = report.Trials.Where(t => t.Policy == report.Policies[i] && t.Measured).OrderBy(t => t.Trial).ToArray();
            if (trials.Length == 0) continue;
            var line = plot.Add.Scatter(trials.Select(t => (double)t.Trial).ToArray(), trials.Select(t => t.TotalMbps).ToArray());
            line.Color = Palette[i % Palette.Length];
            line.MarkerSize = 8;
            line.LegendText = report.Policies[i];
        }
        var trialNumbers = Enumerable.Range(1, report.TrialsPerPolicy).Select(t => (double)t).ToArray();
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(trialNumbers,
            trialNumbers.Select(t => t.ToString(CultureInfo.InvariantCulture)).ToArray());
        plot.ShowLegend(Alignment.LowerRight);
        plot.Axes.SetLimitsY(0, Math.Max(1, report.Trials.Select(t => t.TotalMbps).DefaultIfEmpty(0).Max() * 1.15));
        plot.Title($"Total throughput per trial ({report.Test}, {report.Flows} flows, {report.Queues} queues)");
        plot.XLabel("trial (fresh boot each)");
        plot.YLabel("total throughput (Mbit/s)");
        plot.SavePng(path, 800, 450);
    }

    private static void SaveMeans(CompareReport report, string path)
    {
        var plot = new Plot();
        var bars = report.Summaries.Select((s, i) => new Bar
        {
            Position = i,
            Value = s.MeanMbps,
            Error = s.MeanCi95.High is { } hi ? hi - s.MeanMbps : 0,
            FillColor = Palette[i % Palette.Length],
            Label = s.MeanMbps.ToString("0.0", CultureInfo.InvariantCulture),
        }).ToArray();
        if (bars.Length > 0) plot.Add.Bars(bars);
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
            report.Summaries.Select((_, i) => (double)i).ToArray(), report.Summaries.Select(s => s.Policy).ToArray());
        plot.Axes.SetLimitsY(0, Math.Max(1, bars.Select(b => b.Value + b.Error).DefaultIfEmpty(0).Max() * 1.2));
        plot.Title($"Mean total throughput, error bars 95% CI ({report.TrialsPerPolicy} trials per policy)");
        plot.YLabel("mean total throughput (Mbit/s)");
        plot.SavePng(path, 800, 450);
    }

    /// <summary>One column per trial (grouped by policy), one row per queue; colour = share of packets.</summary>
    private static void SaveHeatmap(CompareReport report, string path)
    {
        var plot = new Plot();
        var columns = report.Policies.SelectMany(p => report.Trials.Where(t => t.Policy == p).OrderBy(t => t.Trial)).ToList();
        if (columns.Count > 0)
        {
            // Heatmap rows are drawn top to bottom: row 0 is the top row, so queue 0 is listed first.
            var data = new double[report.Queues, columns.Count];
            for (var c = 0; c < columns.Count; c++)
                for (var q = 0; q < report.Queues; q++)
                    data[q, c] = columns[c].GuestShares.ElementAtOrDefault(q) * 100;
            var map = plot.Add.Heatmap(data);
            map.Colormap = new ScottPlot.Colormaps.Viridis();
            map.ManualRange = new ScottPlot.Range(0, 100);
            // Position names the centres of the corner cells, so cell (q, c) is centred on x = c, y = queues-1-q.
            // With a single column or row there is no second centre: give that axis a width of one cell.
            map.Position = new CoordinateRect(0, Math.Max(1, columns.Count - 1), 0, Math.Max(1, report.Queues - 1));
            plot.Add.ColorBar(map).Label = "share of guest rx packets (%)";
            plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
                columns.Select((_, i) => (double)i).ToArray(), columns.Select(t => $"{t.Policy[..1]}{t.Trial}").ToArray());
            plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
                Enumerable.Range(0, report.Queues).Select(q => (double)(report.Queues - 1 - q)).ToArray(),
                Enumerable.Range(0, report.Queues).Select(q => $"q{q}").ToArray());
        }
        plot.Title("Per-queue share of each trial (s = stock, h = hash, d = dynamic)");
        plot.XLabel("policy and trial");
        plot.YLabel("queue");
        plot.SavePng(path, Math.Max(800, 40 * columns.Count + 200), 400);
    }
}
