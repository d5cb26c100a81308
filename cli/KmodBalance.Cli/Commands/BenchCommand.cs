using System.CommandLine;
using System.Globalization;
using KmodBalance.Generator;
using KmodBalance.Generator.UserSpace;

namespace KmodBalance.Cli.Commands;

/// <summary>
/// `kmb bench`: instructions per steered packet of stock tun's automq selection, the flow
/// hash and the dynamic balancer, and per remapper run, counted by callgrind on the
/// user-space build of the generated C.
/// </summary>
internal static class BenchCommand
{
    public static Command Create()
    {
        var flows = new Option<string>("--flows")
        {
            Description = "Comma-separated numbers of live flows to measure at",
            DefaultValueFactory = _ => "4,1000,100000",
        };
        var packets = new Option<long>("--packets")
        {
            Description = "Packets steered per policy and flow count (instructions are divided by this)",
            DefaultValueFactory = _ => 200_000,
        };
        var remaps = new Option<int>("--remaps") { Description = "Remapper runs to average over", DefaultValueFactory = _ => 10 };
        var queues = new Option<uint>("--queues") { Description = "Queue count (1-256)", DefaultValueFactory = _ => 8 };
        var threshold = new Option<long>("--threshold")
        {
            Description = "Remapper threshold, in packets per period",
            DefaultValueFactory = _ => Tunables.DefaultThreshold,
        };
        var json = new Option<string?>("--json") { Description = "Also write the measurements as JSON to this file" };

        var command = new Command("bench",
            "Count instructions per packet (stock automq, hash, dynamic, adaptive) and per remap with callgrind on the user-space build of the generated C")
        {
            flows, packets, remaps, queues, threshold, json,
        };
        command.SetAction((result, ct) => CommandRunner.RunAsync(async () =>
        {
            var flowCounts = ParseFlows(result.GetValue(flows)!);
            var q = result.GetValue(queues);
            if (q is < 1 or > 256)
                throw new KmbException($"--queues {q} is out of range: give 1 to 256");
            if (result.GetValue(packets) < 1 || result.GetValue(remaps) < 1)
                throw new KmbException("--packets and --remaps must be at least 1");
            var t = new Tunables(result.GetValue(threshold)).Validated();
            var report = await CallgrindBench.RunAsync(
                flowCounts, result.GetValue(packets), result.GetValue(remaps), q, (uint)t.Threshold, ct);
            Console.Write(report.ToMarkdown());
            if (result.GetValue(json) is { } file)
            {
                await File.WriteAllTextAsync(file, report.ToJson(), ct);
                Console.WriteLine($"wrote {file}");
            }
            return 0;
        }));
        return command;
    }

    internal static IReadOnlyList<int> ParseFlows(string text)
    {
        var counts = new List<int>();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n < 1)
                throw new KmbException($"--flows: '{part}' is not a positive number of flows (e.g. --flows 4,1000,100000)");
            counts.Add(n);
        }
        if (counts.Count == 0)
            throw new KmbException("--flows is empty: give e.g. 4,1000,100000");
        return counts;
    }
}
