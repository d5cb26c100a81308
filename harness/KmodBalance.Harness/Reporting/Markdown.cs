using System.Globalization;
using System.Text;

namespace KmodBalance.Harness.Reporting;

/// <summary>The pieces every verb's summary.md is made of: its title, table cells, the key-value table,
/// the error block, the steps and environment sections, and how a figure is printed.</summary>
public static class Markdown
{
    /// <summary>"# KmodBalance WHAT: VERDICT" and its blank line.</summary>
    public static string Title(string what, string verdict) => $"# KmodBalance {what}: {verdict}\n\n";

    /// <summary>Text on one line: a list item or a table cell ends at a newline.</summary>
    public static string Inline(string text) => text.ReplaceLineEndings(" ");

    /// <summary>What every lab verb's summary says of its --threshold and --period-ms, in the module parameters' words.</summary>
    public static string Tunables(Tunables tunables) => string.Create(CultureInfo.InvariantCulture,
        $"balance_threshold {tunables.Threshold} packets per period, balance_period_ms {tunables.PeriodMs} (dynamic and adaptive)");

    /// <summary>A table cell ends at '|' or a newline.</summary>
    public static string Cell(string text) => Inline(text).Replace("|", "\\|", StringComparison.Ordinal);

    /// <summary>A figure that may be missing: NaN (a mean of nothing, a ratio over zero) is "n/a".</summary>
    public static string Figure(double value, string format) =>
        double.IsNaN(value) ? "n/a" : value.ToString(format, CultureInfo.InvariantCulture);

    /// <summary>A two-column table without a header: key | value.</summary>
    public static string KeyValueTable(IEnumerable<(string Key, string Value)> rows) =>
        "| | |\n|---|---|\n" + string.Concat(rows.Select(r => $"| {Cell(r.Key)} | {Cell(r.Value)} |\n"));

    /// <summary>"## Error" and the error verbatim in a code block (a console excerpt keeps its lines).</summary>
    public static string ErrorSection(string error) =>
        "## Error\n\n```\n" + error.Replace("```", "'''", StringComparison.Ordinal).TrimEnd() + "\n```\n\n";

    /// <summary>"## Steps": each step's time, then the retried boots; empty without steps.</summary>
    /// <param name="columns">The table's two column headers.</param>
    /// <param name="format">How the seconds are printed.</param>
    public static string StepsSection(IReadOnlyList<StepTiming> steps, (string Step, string Seconds) columns, string format)
    {
        if (steps.Count == 0) return "";
        var md = new StringBuilder($"## Steps\n\n| {columns.Step} | {columns.Seconds} |\n|---|---:|\n");
        foreach (var s in steps)
            md.Append(CultureInfo.InvariantCulture, $"| {Cell(s.Step)} | {s.Seconds.ToString(format, CultureInfo.InvariantCulture)} |\n");
        return md.Append('\n').Append(StepTiming.RetriesMarkdown(steps)).ToString();
    }

    /// <summary>"## Environment": kernel release, qemu version, ... in key order; empty without any.</summary>
    public static string EnvironmentSection(IReadOnlyDictionary<string, string> environment) =>
        environment.Count == 0
            ? ""
            : "## Environment\n\n" + KeyValueTable(environment.OrderBy(e => e.Key, StringComparer.Ordinal).Select(e => (e.Key, e.Value))) + "\n";
}
