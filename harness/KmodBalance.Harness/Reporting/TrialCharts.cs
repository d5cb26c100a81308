using System.Globalization;
using ScottPlot;

namespace KmodBalance.Harness.Reporting;

/// <summary>The thesis's two figures for a verb that runs trials of several policies (compare, capacity):
/// a value per trial, one line per policy (its fig. 4.3), and each policy's mean with a 95% error bar
/// (fig. 4.4). A policy keeps its colour across a report's figures.</summary>
public static class TrialCharts
{
    public const string PerTrialFile = "fig-4.3-throughput-per-trial.png";
    public const string MeanFile = "fig-4.4-mean-throughput.png";

    private const int Width = 800;
    private const int Height = 450;

    /// <summary>summary.md's links to the two figures and to <paramref name="more"/>, then a blank line.</summary>
    public static string MarkdownLinks(params IEnumerable<(string Alt, string File)> more)
    {
        (string Alt, string File)[] figures = [("throughput per trial", PerTrialFile), ("mean throughput", MeanFile), .. more];
        return string.Concat(figures.Select(f => $"![{f.Alt}]({f.File})\n")) + "\n";
    }

    private static readonly Color[] Palette = [Colors.SteelBlue, Colors.DarkOrange, Colors.ForestGreen, Colors.Purple, Colors.Crimson];

    /// <param name="measured">The measured trials' values; a policy without any draws no line.</param>
    /// <param name="top">The largest value the y axis must show.</param>
    public static void SavePerTrial(string path, IReadOnlyList<string> policies, int trialsPerPolicy,
        IReadOnlyList<(string Policy, int Trial, double Value)> measured, double top, string title, string xLabel, string yLabel)
    {
        var plot = new Plot();
        for (var i = 0; i < policies.Count; i++)
        {
            var points = measured.Where(m => m.Policy == policies[i]).OrderBy(m => m.Trial).ToArray();
            if (points.Length == 0) continue;
            var line = plot.Add.Scatter(points.Select(p => (double)p.Trial).ToArray(), points.Select(p => p.Value).ToArray());
            line.Color = PolicyColor(i);
            line.MarkerSize = 8;
            line.LegendText = policies[i];
        }
        var trialNumbers = Enumerable.Range(1, trialsPerPolicy).Select(t => (double)t).ToArray();
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(trialNumbers,
            trialNumbers.Select(t => t.ToString(CultureInfo.InvariantCulture)).ToArray());
        plot.ShowLegend(Alignment.LowerRight);
        plot.Axes.SetLimitsY(0, Math.Max(1, top * 1.15));
        plot.Title(title);
        plot.XLabel(xLabel);
        plot.YLabel(yLabel);
        plot.SavePng(path, Width, Height);
    }

    /// <param name="means">Per policy in report order: its mean and the upper bound of its 95% interval (null: too few trials).</param>
    /// <param name="labelFormat">How a bar's value is printed on it.</param>
    /// <param name="floor">The least top the y axis must show (for example the offered load).</param>
    public static void SaveMeans(string path, IReadOnlyList<(string Policy, double Mean, double? CiHigh)> means, string labelFormat,
        double floor, string title, string yLabel)
    {
        var plot = new Plot();
        var bars = means.Select((m, i) => new Bar
        {
            Position = i,
            Value = m.Mean,
            Error = m.CiHigh is { } hi ? hi - m.Mean : 0,
            FillColor = PolicyColor(i),
            Label = m.Mean.ToString(labelFormat, CultureInfo.InvariantCulture),
        }).ToArray();
        if (bars.Length > 0) plot.Add.Bars(bars);
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
            means.Select((_, i) => (double)i).ToArray(), means.Select(m => m.Policy).ToArray());
        plot.Axes.SetLimitsY(0, Math.Max(1, Math.Max(floor, bars.Select(b => b.Value + b.Error).DefaultIfEmpty(0).Max()) * 1.2));
        plot.Title(title);
        plot.YLabel(yLabel);
        plot.SavePng(path, Width, Height);
    }

    private static Color PolicyColor(int index) => Palette[index % Palette.Length];
}
