using ScottPlot;
using KmodBalance.Harness.Reporting;

namespace KmodBalance.Harness.Compare;

/// <summary>The figures of a compare: total throughput per trial and its mean per policy
/// (<see cref="TrialCharts"/>), and a heat map of every trial's per-queue packet shares.</summary>
public static class CompareCharts
{
    public const string HeatmapFile = "queue-share-heatmap.png";

    public static IReadOnlyList<ReportFile> Files(CompareReport report) =>
    [
        ReportFile.Saved(TrialCharts.PerTrialFile, path => TrialCharts.SavePerTrial(path, report.Policies, report.TrialsPerPolicy,
            report.Trials.Where(t => t.Measured).Select(t => (t.Policy, t.Trial, t.TotalMbps)).ToList(),
            report.Trials.Select(t => t.TotalMbps).DefaultIfEmpty(0).Max(),
            $"Total throughput per trial ({report.Test}, {report.Flows} flows, {report.Queues} queues)",
            "trial (fresh boot each)", "total throughput (Mbit/s)")),
        ReportFile.Saved(TrialCharts.MeanFile, path => TrialCharts.SaveMeans(path,
            report.Summaries.Select(s => (s.Policy, s.MeanMbps, s.MeanCi95.High)).ToList(), "0.0", 0,
            $"Mean total throughput, error bars 95% CI ({report.TrialsPerPolicy} trials per policy)", "mean total throughput (Mbit/s)")),
        ReportFile.Saved(HeatmapFile, path => SaveHeatmap(report, path)),
    ];

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
