using System.Globalization;
using System.Text;

namespace KmodBalance.Model.Simulation;

/// <summary>The human-readable report: a table per run, then a summary per policy.</summary>
public static class ReportText
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static string Render(SimulationReport report)
    {
        var o = report.Options;
        var sb = new StringBuilder();
        sb.AppendLine(Inv, $"scenario {report.Scenario}: {o.Queues} queues, period {o.PeriodMs} ms, threshold {o.Threshold} packets, {o.Runs} runs, seed {o.Seed}");
        sb.AppendLine(Inv, $"capacity model: {o.Cap.QueueGbps:0.##} Gbps per queue (one vCPU), {o.Cap.FlowGbps:0.##} Gbps per TCP flow, tick {o.Cap.TickUs} us");
        sb.AppendLine();
        sb.AppendLine("policy    run  Gbps    rel    jain   queues  max/mean  migr  reordered  balanced@period");
        foreach (var p in report.Policies)
        {
            foreach (var r in p.Runs)
            {
                double maxOverMean = r.MeanQueueGbps == 0 ? 0 : r.MaxQueueGbps / r.MeanQueueGbps;
                string bal = r.PeriodsUntilBalanced?.ToString(Inv) ?? "never";
                sb.AppendLine(Inv, $"{p.Policy,-9} {r.Run,3}  {r.ThroughputGbps,6:0.00}  {r.Throughput,5:0.000}  {r.Jain,5:0.000}  {r.QueuesUsed,6}  {maxOverMean,8:0.00}  {r.Migrations,4}  {r.Reordered,9}  {bal}");
            }
        }
        sb.AppendLine();
        sb.AppendLine("summary");
        foreach (var p in report.Policies)
            sb.AppendLine(Inv, $"  {p.Policy,-9} mean {p.MeanThroughputGbps:0.00} Gbps  (relative {p.MeanThroughput:0.000})  balanced in {p.BalancedRuns} of {p.Runs.Count} runs  worst {p.Runs.Min(r => r.ThroughputGbps):0.00} Gbps  reordered {p.Reordered} packets");
        foreach (var (name, ratio) in ReportJson.Ratios(report))
            sb.AppendLine(Inv, $"  ratio {name} = {ratio:0.000} ({(ratio - 1) * 100:+0.0;-0.0;0.0}%) mean Gbps");
        if (report.Policies.Count > 1 && report.Policies[0].MeanThroughput > 0)
        {
            var baseline = report.Policies[0];
            foreach (var p in report.Policies.Skip(1))
                sb.AppendLine(Inv, $"  ratio {p.Policy}/{baseline.Policy} = {p.MeanThroughput / baseline.MeanThroughput:0.000} relative to ideal");
        }
        return sb.ToString();
    }
}
