using System.Globalization;
using System.Text;
using KmodBalance.Harness.Compare;
using KmodBalance.Harness.Reporting;

namespace KmodBalance.Harness.Capacity;

/// <summary>summary.md of a capacity run: the setup, the per-policy table, the ratios, the figures and every trial.</summary>
public static class CapacitySummaryMarkdown
{
    public static string Render(CapacityReport r)
    {
        ArgumentNullException.ThrowIfNull(r);
        var md = new StringBuilder();
        md.Append("# kmb lab capacity\n\n");
        md.Append(CultureInfo.InvariantCulture,
            $"Verdict: **{r.Verdict}**. {r.Flows} UDP flows of {r.FlowPps} datagrams/s ({r.PayloadBytes}-byte payload) into a {r.Queues}-queue tap " +
            $"in L1, every queue read by its own reader at {r.ServicePps} datagrams/s (one emulated vCPU per queue); offered " +
            $"{F(r.OfferedMbps, "0.000")} Mbit/s; {r.DurationSeconds} s per trial, {r.TrialsPerPolicy} trials per policy, interleaved, one L1 boot " +
            $"(each trial loads its policy's module), fresh source ports per trial (seed {r.Seed}). Wall time {F(r.WallSeconds, "0")} s.\n\n");
        if (r.Tunables is { } tunables) md.Append("Tunables: ").Append(Markdown.Tunables(tunables)).Append(".\n\n");
        if (r.Error is not null) md.Append("**Error:** ").Append(r.Error).Append("\n\n");

        md.Append("| Policy | Measured | Mean Mbit/s | SD | CV | Min | 95% CI of mean | Delivered | Dips | Reordered (total) | Migrations/trial | Jain |\n");
        md.Append("|---|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|\n");
        foreach (var s in r.Summaries)
            md.Append(CultureInfo.InvariantCulture,
                $"| {s.Policy} | {s.Measured}/{s.Trials} | {F(s.ThroughputMbps.Mean, "0.000")} | {F(s.ThroughputMbps.StdDev, "0.000")} | " +
                $"{F(s.CoefficientOfVariation * 100, "0.0")}% | {F(s.ThroughputMbps.Min, "0.000")} | {StatisticsMarkdown.Interval(s.ThroughputMbps.MeanCi95, "0.000")} | " +
                $"{F(s.MeanDeliveredFraction * 100, "0.0")}% | {s.Dips} | {s.TotalReordered} | {F(s.MeanMigrations, "0.0")} | {F(s.MeanJain, "0.000")} |\n");
        md.Append('\n').Append(StatisticsMarkdown.Ratios(r.Ratios));
        md.Append(CultureInfo.InvariantCulture,
            $"A trial *dips* when it delivers less than {CapacityOptions.DipFraction:P0} of what it offered. *Reordered*: datagrams read after a later " +
            $"datagram of their flow. *Migrations*: flows the balancer moved (its statistics); *queue changes*: " +
            $"a flow's queue changes in sequence order, which also counts a new flow's first datagram steered by hash before it was admitted.\n\n");

        md.Append(StepTiming.RetriesMarkdown(r.Steps));
        md.Append(TrialCharts.MarkdownLinks(("reordered datagrams per trial", CapacityCharts.ReorderFile)));

        md.Append("## Trials (in run order)\n\n| # | Policy | Trial | Ports | Mbit/s | Delivered | Drops | Reordered | Migrations | Queue changes | Queue shares | Jain | Balancing | Note |\n");
        md.Append("|---:|---|---:|---|---:|---:|---:|---:|---:|---:|---|---:|---|---|\n");
        foreach (var t in r.Trials.OrderBy(t => t.Slot))
            md.Append(CultureInfo.InvariantCulture,
                $"| {t.Slot} | {t.Policy} | {t.Trial} | {string.Join(",", t.Ports)} | {F(t.ThroughputMbps, "0.000")} | {F(t.DeliveredFraction * 100, "0.0")}% | " +
                $"{t.Drops} | {t.Reordered} | {t.Migrations} | {t.QueueChanges} | {string.Join(" / ", t.QueueShares.Select(s => F(s * 100, "0")))} | {F(t.Jain, "0.000")} | " +
                $"{t.Balancing} | {(t.Error ?? "").Replace("|", "/", StringComparison.Ordinal)} |\n");
        md.Append('\n');
        md.Append("The queues' readers stand in for one guest vCPU per queue (a fixed service rate); this is an emulation of that bottleneck " +
                  "in L1 with the real tun module, not a guest. The rates are ones L1 carries exactly, so the policy decides what is delivered.\n");
        return md.ToString();
    }

    private static string F(double v, string format) => Markdown.Figure(v, format);
}
