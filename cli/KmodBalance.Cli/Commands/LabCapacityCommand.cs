using System.CommandLine;
using System.Globalization;
using KmodBalance.Harness.Capacity;
using KmodBalance.Harness.Lab;

namespace KmodBalance.Cli.Commands;

/// <summary>`kmb lab capacity`: the thesis's throughput experiment in L1 with one emulated vCPU per queue
/// (a reader at a fixed service rate), every policy's module loaded in turn in one boot.</summary>
internal static class LabCapacityCommand
{
    public static Command Create()
    {
        var defaults = new CapacityOptions();
        var policies = new Option<string>("--policies")
        {
            Description = $"Comma-separated policies to compare ({PolicyNames.Listed(PolicyNames.All)})",
            DefaultValueFactory = _ => string.Join(',', PolicyNames.NamesOf(defaults.Policies)),
        };
        var trials = new Option<int>("--trials") { Description = "Trials per policy (interleaved, fresh source ports each)", DefaultValueFactory = _ => defaults.Trials };
        var duration = new Option<int>("--duration") { Description = "Seconds of traffic per trial", DefaultValueFactory = _ => defaults.DurationSeconds };
        var flows = new Option<int>("--flows") { Description = "Paced UDP flows", DefaultValueFactory = _ => defaults.Flows };
        var queues = new Option<int>("--queues") { Description = "Tap queues, each read by its own reader (one emulated vCPU)", DefaultValueFactory = _ => defaults.Queues };
        var flowPps = new Option<int>("--flow-pps") { Description = "Datagrams a second each flow offers", DefaultValueFactory = _ => defaults.FlowPps };
        var servicePps = new Option<int>("--service-pps") { Description = "Datagrams a second each queue's reader takes", DefaultValueFactory = _ => defaults.ServicePps };
        var payload = new Option<int>("--payload") { Description = "UDP payload bytes per datagram", DefaultValueFactory = _ => defaults.PayloadBytes };
        var seed = new Option<int>("--seed") { Description = "Seed of the trials' source ports", DefaultValueFactory = _ => defaults.Seed };
        var report = new Option<string>("--report") { Description = "Report directory (report.json, junit.xml, summary.md, figures, raw/, consoles/)", DefaultValueFactory = _ => defaults.ReportDir };
        var lab = new LabEnvironmentOptions();

        // No --backend: every trial swaps the policies' patched tun.ko within one L1 boot; the eBPF back end
        // has one unmodified tun.ko for every policy, and capacity does not attach kmbsteer.
        var capacity = new Command("capacity", "Throughput of policies when every queue is served at a fixed rate (one emulated vCPU per queue), in L1. " +
            "The patched module only (no --backend): each trial loads its policy's tun.ko in the one L1 boot")
        {
            policies, trials, duration, flows, queues, flowPps, servicePps, payload, seed, report,
        };
        lab.AddTo(capacity);
        capacity.SetAction(async (ParseResult r, CancellationToken ct) =>
        {
            var named = PolicyNames.ParseList(r.GetValue(policies)!);
            var options = new CapacityOptions
            {
                Policies = named.Policies,
                Trials = r.GetValue(trials),
                DurationSeconds = r.GetValue(duration),
                Flows = r.GetValue(flows),
                Queues = r.GetValue(queues),
                FlowPps = r.GetValue(flowPps),
                ServicePps = r.GetValue(servicePps),
                PayloadBytes = r.GetValue(payload),
                Seed = r.GetValue(seed),
                ReportDir = r.GetValue(report)!,
                Lab = await lab.ReadAsync(r, ct),
            };
            if (LabCommand.Refuse("kmb lab capacity", [.. named.Errors, .. options.Validate()])) return CommandRunner.BadInput;
            var progress = new ConsoleProgress();
            var outcome = await new CapacityRun(options, progress).RunAsync(ct);
            if (outcome.Report is { } rep)
            {
                foreach (var s in rep.Summaries)
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"  {s.Policy,-8} {s.Measured}/{s.Trials} trials  mean {s.ThroughputMbps.Mean,8:0.000} Mbit/s  sd {s.ThroughputMbps.StdDev,6:0.000}  " +
                        $"CV {s.CoefficientOfVariation,6:P1}  min {s.ThroughputMbps.Min,8:0.000}  delivered {s.MeanDeliveredFraction,6:P1}  dips {s.Dips}  " +
                        $"reordered {s.TotalReordered}  migrations/trial {s.MeanMigrations:0.0}"));
                foreach (var ratio in rep.Ratios)
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"  {ratio.Numerator}/{ratio.Denominator} = {ratio.Ratio:0.000} (95% CI {ratio.Ci95.Low:0.000} .. {ratio.Ci95.High:0.000})"));
            }
            if (outcome.Error is not null) Console.Error.WriteLine($"kmb lab capacity: {outcome.Error}");
            Console.WriteLine($"CAPACITY {outcome.Report?.Verdict.ToUpperInvariant() ?? "ERROR"} trials={outcome.Report?.Trials.Count ?? 0} " +
                $"wall={outcome.Report?.WallSeconds:0.0}s exit={outcome.ExitCode}");
            return CommandRunner.VerdictOrInterrupted(outcome.ExitCode, ct);
        });
        return capacity;
    }
}
