using System.Net;

namespace KmodBalance.Model.Simulation;

/// <summary>The flows of one run of a built-in scenario.</summary>
public sealed record ScenarioRun(IReadOnlyList<FlowSpec> Flows, double DurationSec);

/// <summary>
/// Built-in workloads. Every run draws its flows (where random) and its hash seed from
/// <see cref="Rng.ForRun"/>, so a (seed, run) pair always gives the same run.
/// </summary>
public static class Scenarios
{
    public const double DurationSec = 10.0;

    public static IReadOnlyDictionary<string, string> Descriptions { get; } = new Dictionary<string, string>
    {
        ["paper"] = "thesis ch. 4: 4 long-lived TCP flows host -> guest, equal demand, 10 s",
        ["elephants"] = "48 TCP flows arriving in the first 2 s, heavy-tailed sizes (Pareto a=1.2, min 30 MB, mean 180 MB)",
        ["churn"] = "Poisson arrivals (20/s) and departures: TCP (exp. mean 150 MB) and 20% UDP (1 Gbps, 0.5-2 s)",
        ["shift"] = "12 TCP flows; at 5 s three of them (ids 0,4,8) jump to 9 Gbps and the rest drop to 0.5 Gbps",
    };

    public static IReadOnlyList<string> Names { get; } = ["paper", "elephants", "churn", "shift"];

    private static readonly IPAddress Host = IPAddress.Parse("192.168.122.1");
    private static readonly IPAddress Guest = IPAddress.Parse("192.168.122.10");

    /// <summary>The flows of scenario <paramref name="name"/> for one run.</summary>
    public static ScenarioRun Build(string name, Rng rng, CapacityModel capacity) => name switch
    {
        "paper" => Paper(capacity),
        "elephants" => Elephants(rng, capacity),
        "churn" => Churn(rng, capacity),
        "shift" => Shift(capacity),
        _ => throw new ArgumentException($"unknown scenario '{name}'; known: {string.Join(", ", Names)}", nameof(name)),
    };

    private static FiveTuple Tcp(int i, ushort dport = 12865) => new(Host, Guest, (ushort)(40000 + i), dport, FiveTuple.Tcp);

    /// <summary>Netperf's 4 TCP_STREAM flows; only the hash seed differs between runs.</summary>
    private static ScenarioRun Paper(CapacityModel c) => new(
        [.. Enumerable.Range(0, 4).Select(i => new FlowSpec(i, Tcp(i), 0.0, double.PositiveInfinity, c.FlowGbps))],
        DurationSec);

    private static ScenarioRun Elephants(Rng rng, CapacityModel c)
    {
        var flows = Enumerable.Range(0, 48).Select(i => new FlowSpec(
            i, Tcp(i, 5001), rng.NextDouble() * 2.0, rng.NextPareto(30e6, 1.2), c.FlowGbps));
        return new([.. flows.OrderBy(f => f.StartSec)], DurationSec);
    }

    private static ScenarioRun Churn(Rng rng, CapacityModel c)
    {
        var flows = new List<FlowSpec>();
        double t = 0;
        for (int i = 0; ; i++)
        {
            t += rng.NextExponential(1.0 / 20.0);
            if (t >= DurationSec)
                break;
            if (rng.NextDouble() < 0.2)
            {
                double seconds = 0.5 + 1.5 * rng.NextDouble();
                var udp = new FiveTuple(Host, Guest, (ushort)(40000 + i), 5201, FiveTuple.Udp);
                flows.Add(new FlowSpec(i, udp, t, 1.0 * 1e9 / 8 * seconds, 1.0));
            }
            else
            {
                flows.Add(new FlowSpec(i, Tcp(i, 5001), t, rng.NextExponential(150e6), c.FlowGbps));
            }
        }
        return new(flows, DurationSec);
    }

    private static ScenarioRun Shift(CapacityModel c) => new(
        [.. Enumerable.Range(0, 12).Select(i => new FlowSpec(
            i, Tcp(i), 0.0, double.PositiveInfinity, c.FlowGbps, DurationSec / 2, i % 4 == 0 ? 9.0 : 0.5))],
        DurationSec);
}
