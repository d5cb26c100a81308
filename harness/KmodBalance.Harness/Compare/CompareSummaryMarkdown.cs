using System.Globalization;
using System.Text;
using KmodBalance.Harness.Measurement;
using KmodBalance.Harness.Reporting;

namespace KmodBalance.Harness.Compare;

/// <summary>summary.md of a compare: the per-policy table, the ratios, every trial, the figures.</summary>
public static class CompareSummaryMarkdown
{
    public static string Render(CompareReport r)
    {
        ArgumentNullException.ThrowIfNull(r);
        var md = new StringBuilder(Markdown.Title("compare", r.Verdict));
        md.Append(CultureInfo.InvariantCulture,
            $"{r.Test}, {r.Flows} flows x {r.DurationSeconds} s, {r.Queues} queues, {r.TrialsPerPolicy} trials per policy, each a fresh boot; " +
            $"accel {r.Environment.GetValueOrDefault("accel", "unknown")}; wall {F(r.WallSeconds / 60, "0.0")} min, {F(r.SecondsPerTrial, "0.0")} s per trial.\n\n");
        if (r.Tunables is { } tunables) md.Append("Tunables: ").Append(Markdown.Tunables(tunables)).Append(".\n\n");
        if (r.Error is not null) md.Append("**Error:** ").Append(r.Error.Replace("\n", " ", StringComparison.Ordinal)).Append("\n\n");

        md.Append("## Total throughput per policy (Mbit/s)\n\n");
        md.Append("| Policy | Trials | Mean | Std dev | Min | 95% CI of mean | All queues used | Mean Jain | Mean migrations |\n");
        md.Append("|---|---:|---:|---:|---:|---|---:|---:|---:|\n");
        foreach (var s in r.Summaries)
            md.Append(CultureInfo.InvariantCulture,
                $"| {s.Policy} | {s.Measured}/{s.Trials} | {F(s.MeanMbps, "0.0")} | {F(s.StdDevMbps, "0.0")} | {F(s.MinMbps, "0.0")} | " +
                $"{StatisticsMarkdown.Interval(s.MeanCi95, "0.0")} | {F(s.AllQueuesUsedShare * 100, "0")}% | {F(s.MeanJain, "0.000")} | {(s.MeanMigrations is { } m ? F(m, "0.0") : "-")} |\n");
        md.Append('\n').Append(StatisticsMarkdown.Ratios(r.Ratios));

        md.Append(TrialCharts.MarkdownLinks(("per-queue share heat map", CompareCharts.HeatmapFile)));

        md.Append("## Trials (in run order)\n\n| # | Policy | Trial | Mbit/s | Queues used | Guest rx shares | Jain | Migrations | L2 TCP OFO / SACK / TS reorder / retrans | Seconds | Note |\n");
        md.Append("|---:|---|---:|---:|---:|---|---:|---:|---|---:|---|\n");
        foreach (var t in r.Trials.OrderBy(t => t.Slot))
        {
            var shares = string.Join(" / ", t.GuestShares.Select(s => F(s * 100, "0")));
            string[] notes = [t.Error ?? (t.Attempts > 1 ? $"measured on boot {t.Attempts}" : ""),
                .. t.FailedAttempts.Select(a => $"boot {a.Attempt} failed: {a.Error}"), .. t.RetriedBoots.Select(b => $"{b.Step}: {b.Error}")];
            var note = string.Join("; ", notes.Where(n => n.Length > 0)).ReplaceLineEndings(" ");
            md.Append(CultureInfo.InvariantCulture,
                $"| {t.Slot} | {t.Policy} | {t.Trial} | {F(t.TotalMbps, "0.0")} | {t.QueuesUsed} | {shares} | {F(t.Jain, "0.000")} | " +
                $"{(t.Migrations is { } m ? m.ToString(CultureInfo.InvariantCulture) : "-")} | {Tcp(t.Tcp)} | {F(t.WallSeconds, "0")} | {note.Replace("|", "/", StringComparison.Ordinal)} |\n");
        }
        md.Append('\n');
        // which back end steered (module or eBPF), which kernel, how the lab was accelerated
        md.Append(Markdown.EnvironmentSection(r.Environment));
        md.Append("Throughput here is measured inside nested virtual machines; where the runner has no KVM, the lab host runs under TCG, " +
                  "so absolute Mbit/s are far below bare metal. The per-queue spread is the evidence; throughput ratios are indicative.\n");
        return md.ToString();
    }

    private static string Tcp(TcpCounters? c) =>
        c is null ? "-" : string.Create(CultureInfo.InvariantCulture, $"{c.OfoQueue} / {c.SackReorder} / {c.TsReorder} / {c.RetransSegs}");

    private static string F(double v, string format) => Markdown.Figure(v, format);
}
