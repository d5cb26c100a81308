using ScottPlot;

namespace KmodBalance.Model.Simulation;

/// <summary>Per-run throughput of each policy, one line per policy (like the thesis's fig. 4.3).</summary>
public static class ThroughputPlot
{
    public static void Save(SimulationReport report, string path, int width = 900, int height = 500)
    {
        var plot = new Plot();
        foreach (var p in report.Policies)
        {
            double[] xs = [.. p.Runs.Select(r => (double)r.Run)];
            double[] ys = [.. p.Runs.Select(r => r.ThroughputGbps)];
            var line = plot.Add.Scatter(xs, ys);
            line.LegendText = $"{p.Policy} (mean {p.MeanThroughputGbps:0.0} Gbps)";
            line.MarkerSize = 6;
        }
        plot.Title($"{report.Scenario}: throughput per run ({report.Options.Queues} queues, period {report.Options.PeriodMs} ms)");
        plot.XLabel("run");
        plot.YLabel("throughput (Gbps)");
        plot.Axes.SetLimitsY(0, report.Policies.SelectMany(p => p.Runs).Select(r => r.ThroughputGbps).DefaultIfEmpty(1).Max() * 1.15);
        plot.ShowLegend(Alignment.LowerRight);
        plot.SavePng(path, width, height);
    }
}
