using System.Net;

namespace KmodBalance.Model.Simulation;

/// <summary>The flows of one run of a built-in scenario.</summary>
public sealed record ScenarioRun(IReadOnlyList<FlowSpec> Flows, double DurationSec);

/// <summary>
/// Built-in workloads. Every run draws its flows (where random) and its hash seed from
/// <see cref="Rng.ForRun"/>, so a (seed, run) pair always gives the same run. Where a
/// scenario does not say where the guest's receivers run, the guest scheduler spreads TCP
/// receivers round-robin over the vCPUs in order of arrival (<see cref="RoundRobinApps"/>).
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
        ["udp"] = "4 one-way UDP flows (no guest replies, so stock cannot learn), each offering one vCPU's worth (15 Gbps), 10 s",
        ["skew"] = "8 TCP flows whose guest applications all run on vCPU 0 (stock follows them into one queue), 10 s",
        ["pair"] = "3 TCP bulk flows filling a vCPU each from 0 s; two 10 Gbps flows from 1 s and 1.5 s join one queue; at 3 s the first bulk flow stops and its queue idles",
        ["herd"] = "4 long TCP flows from 0 s; 64 short TCP flows (16 MB) open within one period (2.0-2.2 s)",
    };

    public static IReadOnlyList<string> Names { get; } = ["paper", "elephants", "churn", "shift", "udp", "skew", "pair", "herd"];

    private static readonly IPAddress Host = IPAddress.Parse("192.168.122.1");
    private static readonly IPAddress Guest = IPAddress.Parse("192.168.122.10");

    /// <summary>The flows of scenario <paramref name="name"/> for one run.</summary>
    public static ScenarioRun Build(string name, Rng rng, CapacityModel capacity) => name switch
    {
        "paper" => Paper(capacity),
        "elephants" => Elephants(rng, capacity),
        "churn" => Churn(rng, capacity),
        "shift" => Shift(capacity),
        "udp" => Udp(capacity),
        "skew" => Skew(capacity),
        "pair" => Pair(capacity),
        "herd" => Herd(rng, capacity),
        _ => throw new ArgumentException($"unknown scenario '{name}'; known: {string.Join(", ", Names)}", nameof(name)),
    };

    private static FiveTuple Tcp(int i, ushort dport = 12865) => new(Host, Guest, (ushort)(40000 + i), dport, FiveTuple.Tcp);

    /// <summary>Netperf's 4 TCP_STREAM flows; only the hash seed differs between runs.</summary>
    private static ScenarioRun Paper(CapacityModel c) => new(
        RoundRobinApps(Enumerable.Range(0, 4).Select(i => new FlowSpec(i, Tcp(i), 0.0, double.PositiveInfinity, c.FlowGbps))),
        DurationSec);

    private static ScenarioRun Elephants(Rng rng, CapacityModel c)
    {
        var flows = Enumerable.Range(0, 48).Select(i => new FlowSpec(
            i, Tcp(i, 5001), rng.NextDouble() * 2.0, rng.NextPareto(30e6, 1.2), c.FlowGbps));
        return new(RoundRobinApps(flows.OrderBy(f => f.StartSec)), DurationSec);
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
        return new(RoundRobinApps(flows), DurationSec);
    }

    private static ScenarioRun Shift(CapacityModel c) => new(
        RoundRobinApps(Enumerable.Range(0, 12).Select(i => new FlowSpec(
            i, Tcp(i), 0.0, double.PositiveInfinity, c.FlowGbps, DurationSec / 2, i % 4 == 0 ? 9.0 : 0.5))),
        DurationSec);

    /// <summary>
    /// One-way UDP streams: no replies, so nothing tells tun where the guest wants them. An
    /// unpaced UDP sender is not held back by the receiver's window as TCP is: each offers
    /// what one guest vCPU can take.
    /// </summary>
    private static ScenarioRun Udp(CapacityModel c) => new(
        [.. Enumerable.Range(0, 4).Select(i => new FlowSpec(
            i, new FiveTuple(Host, Guest, (ushort)(40000 + i), 5201, FiveTuple.Udp), 0.0, double.PositiveInfinity, c.QueueGbps))],
        DurationSec);

    /// <summary>Eight receivers pinned to vCPU 0 (e.g. one single-threaded server): the guest replies from vCPU 0 for all.</summary>
    private static ScenarioRun Skew(CapacityModel c) => new(
        [.. Enumerable.Range(0, 8).Select(i => new FlowSpec(i, Tcp(i), 0.0, double.PositiveInfinity, c.FlowGbps, AppCpu: 0))],
        DurationSec);

    /// <summary>
    /// Three bulk flows (receivers on vCPUs 1-3) fill a vCPU each; a 10 Gbps flow opens at 1 s
    /// and another at 1.5 s, both received on vCPU 0: the second finds the first's queue the
    /// lightest (and the one the guest uses), so every load- or reply-driven policy puts the two
    /// on one queue. At 3 s the first bulk flow stops: its queue idles while the pair shares one
    /// vCPU (15 of 20 Gbps) until a policy splits it.
    /// </summary>
    private static ScenarioRun Pair(CapacityModel c) => new(
        [
            new FlowSpec(0, Tcp(0), 0.0, double.PositiveInfinity, c.QueueGbps, ChangeAtSec: 3.0, DemandAfterGbps: 0, AppCpu: 1),
            new FlowSpec(1, Tcp(1), 0.0, double.PositiveInfinity, c.QueueGbps, AppCpu: 2),
            new FlowSpec(2, Tcp(2), 0.0, double.PositiveInfinity, c.QueueGbps, AppCpu: 3),
            new FlowSpec(3, Tcp(3), 1.0, double.PositiveInfinity, 10.0, AppCpu: 0),
            new FlowSpec(4, Tcp(4), 1.5, double.PositiveInfinity, 10.0, AppCpu: 0),
        ],
        DurationSec);

    /// <summary>Four long flows, then 64 short ones opening within one period (receivers round-robin).</summary>
    private static ScenarioRun Herd(Rng rng, CapacityModel c)
    {
        var flows = Enumerable.Range(0, 4).Select(i => new FlowSpec(i, Tcp(i), 0.0, double.PositiveInfinity, c.FlowGbps))
            .Concat(Enumerable.Range(4, 64).Select(i => new FlowSpec(i, Tcp(i, 5001), 2.0 + 0.2 * rng.NextDouble(), 16e6, c.FlowGbps)));
        return new(RoundRobinApps(flows.OrderBy(f => f.StartSec)), DurationSec);
    }

    /// <summary>The k-th TCP flow to arrive gets receiver vCPU k (modulo the queue count, in the simulator); UDP none.</summary>
    public static IReadOnlyList<FlowSpec> RoundRobinApps(IEnumerable<FlowSpec> flows)
    {
        int k = 0;
        return [.. flows.OrderBy(f => f.StartSec).Select(f => f.Tuple.IsTcp ? f with { AppCpu = k++ } : f)];
    }
}
