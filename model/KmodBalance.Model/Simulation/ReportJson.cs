using System.Text.Json;
using System.Text.Json.Nodes;

namespace KmodBalance.Model.Simulation;

/// <summary>
/// The <c>--json</c> document. One policy:
/// <c>{ policy, scenario, options, meanThroughputGbps, meanThroughput, balancedRuns, reordered, runs: [ RunMetrics... ] }</c>.
/// Several policies: <c>{ scenario, options, policies: [ the one-policy object ... ], ratios: { "dynamic/hash": x, ... } }</c>.
/// Run fields: run, throughputGbps, idealGbps, throughput (relative, 1.0 = balanced), jain,
/// queuesUsed, maxQueueGbps, meanQueueGbps, queueShare[], migrations, reordered, dropped,
/// periodsUntilBalanced (null = never), balanced, flows.
/// </summary>
public static class ReportJson
{
    private static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = true,
    };

    public static string Render(SimulationReport report) => ToNode(report).ToJsonString(Options);

    public static JsonObject ToNode(SimulationReport report)
    {
        var options = OptionsNode(report.Options);
        if (report.Policies.Count == 1)
        {
            var single = PolicyNode(report.Policies[0]);
            single.Add("options", options);
            return single;
        }
        var ratios = new JsonObject();
        foreach (var (name, ratio) in Ratios(report))
            ratios.Add(name, ratio);
        return new JsonObject
        {
            ["scenario"] = report.Scenario,
            ["options"] = options,
            ["policies"] = new JsonArray([.. report.Policies.Select(p => (JsonNode)PolicyNode(p))]),
            ["ratios"] = ratios,
        };
    }

    /// <summary>Mean throughput of every policy over the first one's (the baseline, normally hash).</summary>
    public static IReadOnlyList<(string Name, double Ratio)> Ratios(SimulationReport report)
    {
        if (report.Policies.Count < 2)
            return [];
        var baseline = report.Policies[0];
        return [.. report.Policies.Skip(1).Select(p => (
            $"{p.Policy}/{baseline.Policy}",
            baseline.MeanThroughputGbps == 0 ? 0 : p.MeanThroughputGbps / baseline.MeanThroughputGbps))];
    }

    private static JsonObject PolicyNode(PolicyResult p) => new()
    {
        ["policy"] = p.Policy,
        ["scenario"] = p.Scenario,
        ["meanThroughputGbps"] = p.MeanThroughputGbps,
        ["meanThroughput"] = p.MeanThroughput,
        ["balancedRuns"] = p.BalancedRuns,
        ["reordered"] = p.Reordered,
        ["runs"] = JsonSerializer.SerializeToNode(p.Runs, Options),
    };

    private static JsonObject OptionsNode(SimulationOptions o) => new()
    {
        ["queues"] = o.Queues,
        ["periodMs"] = o.PeriodMs,
        ["threshold"] = o.Threshold,
        ["runs"] = o.Runs,
        ["seed"] = o.Seed,
        ["maxFlows"] = o.MaxFlows,
        ["queueGbps"] = o.Cap.QueueGbps,
        ["flowGbps"] = o.Cap.FlowGbps,
        ["tickUs"] = o.Cap.TickUs,
    };
}
