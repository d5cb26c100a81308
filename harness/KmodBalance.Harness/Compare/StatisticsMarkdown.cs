using System.Globalization;
using System.Text;
using KmodBalance.Harness.Reporting;

namespace KmodBalance.Harness.Compare;

/// <summary>How compare's statistics read in a summary.md: compare's and capacity's (which summarises
/// its trials with the same intervals and ratios).</summary>
public static class StatisticsMarkdown
{
    public static string Interval(Interval ci, string format) =>
        ci.Low is { } lo && ci.High is { } hi ? $"{Markdown.Figure(lo, format)} .. {Markdown.Figure(hi, format)}" : "n/a (needs 2+ trials)";

    /// <summary>One line per ratio and a blank line after them; empty without ratios.</summary>
    public static string Ratios(IReadOnlyList<PolicyRatio> ratios)
    {
        if (ratios.Count == 0) return "";
        var md = new StringBuilder();
        foreach (var ratio in ratios)
            md.Append(CultureInfo.InvariantCulture,
                $"- **{ratio.Numerator}/{ratio.Denominator}** mean throughput ratio: {Markdown.Figure(ratio.Ratio, "0.000")} (95% CI {Interval(ratio.Ci95, "0.000")})\n");
        return md.Append('\n').ToString();
    }
}
