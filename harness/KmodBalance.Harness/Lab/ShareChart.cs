using System.Globalization;
using ScottPlot;

namespace KmodBalance.Harness.Lab;

/// <summary>queue-shares.png of a lab run: one bar per queue (percent of the evidence counter), the minimum share as a dashed line.</summary>
public static class ShareChart
{
    public const string FileName = "queue-shares.png";
    private const int Width = 800;
    private const int Height = 450;

    public static void SavePng(LabReport report, string path)
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(path);

        var plot = new Plot();
        double minPercent = report.MinShare * 100;
        var bars = report.Queues.Select(q => new Bar
        {
            Position = q.Queue,
            Value = q.Share * 100,
            FillColor = q.Share < report.MinShare ? Colors.OrangeRed : Colors.SteelBlue,
            Label = (q.Share * 100).ToString("0.0", CultureInfo.InvariantCulture) + "%",
        }).ToArray();
        if (bars.Length > 0)
        {
            var barPlot = plot.Add.Bars(bars);
            barPlot.ValueLabelStyle.FontSize = 12;
            plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
                report.Queues.Select(q => (double)q.Queue).ToArray(),
                report.Queues.Select(q => $"q{q.Queue}").ToArray());
        }

        var line = plot.Add.HorizontalLine(minPercent);
        line.LinePattern = LinePattern.Dashed;
        line.Color = Colors.Red;
        line.LineWidth = 2;
        line.LegendText = $"minimum share {minPercent.ToString("0.#", CultureInfo.InvariantCulture)}%";
        plot.ShowLegend(Alignment.UpperRight);

        double top = Math.Max(minPercent, bars.Length > 0 ? bars.Max(b => b.Value) : 0);
        plot.Axes.SetLimitsY(0, Math.Max(10, top * 1.15));
        if (bars.Length > 0)
            plot.Axes.SetLimitsX(report.Queues.Min(q => q.Queue) - 0.7, report.Queues.Max(q => q.Queue) + 0.7);

        plot.Title($"{report.Policy}: per-queue share ({report.Verdict}, Jain {report.Jain.ToString("0.000", CultureInfo.InvariantCulture)})");
        plot.XLabel("queue");
        plot.YLabel($"share of {report.Evidence ?? "packets"} (%)");
        plot.SavePng(path, Width, Height);
    }
}
