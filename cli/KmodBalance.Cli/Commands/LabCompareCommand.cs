using KmodBalance.Generator.Output;
using System.CommandLine;
using System.Globalization;
using KmodBalance.Harness.Compare;
using KmodBalance.Harness.Lab;

namespace KmodBalance.Cli.Commands;

/// <summary>`kmb lab compare`: the thesis's experiment, stock vs hash vs dynamic over many fresh boots.</summary>
internal static class LabCompareCommand
{
    public static Command Create()
    {
        var policies = new Option<string>("--policies") { Description = "Comma-separated policies to compare", DefaultValueFactory = _ => "stock,hash,dynamic" };
        var trials = new Option<int>("--trials") { Description = "Trials per policy, each a fresh boot", DefaultValueFactory = _ => 20 };
        var duration = new Option<int>("--duration") { Description = "Seconds per netperf flow (-l)", DefaultValueFactory = _ => 10 };
        var flows = new Option<int>("--flows") { Description = "Concurrent netperf flows", DefaultValueFactory = _ => 4 };
        var test = new Option<string>("--test") { Description = "tcp (TCP_STREAM) or udp (UDP_STREAM: no reverse traffic, so stock tun cannot learn flows)", DefaultValueFactory = _ => "tcp" };
        test.AcceptOnlyFromAmong([.. NetperfTests.OptionNames]);
        var queues = new Option<int>("--queues") { Description = "Tap queues = L2 vCPUs", DefaultValueFactory = _ => 4 };
        var report = new Option<string>("--report") { Description = "Report directory (summary.md, report.json, junit.xml, figures)", DefaultValueFactory = _ => "out/compare" };
        var lab = new LabEnvironmentOptions();
        var backend = LabSharedOptions.Backend();

        var compare = new Command("compare", "Run trials of several policies, interleaved, each a fresh boot; report throughput and spread statistics")
        {
            policies, trials, duration, flows, test, queues, report, backend,
        };
        lab.AddTo(compare);
        compare.SetAction(async (ParseResult r, CancellationToken ct) =>
        {
            var named = PolicyNames.ParseList(r.GetValue(policies)!);
            var options = new LabCompareOptions
            {
                Policies = named.Policies,
                Trials = r.GetValue(trials),
                DurationSeconds = r.GetValue(duration),
                Flows = r.GetValue(flows),
                Test = NetperfTests.FromOption(r.GetValue(test)!),
                Queues = r.GetValue(queues),
                ReportDir = r.GetValue(report)!,
                Backend = LabBackends.Parse(r.GetValue(backend)!),
                Lab = await lab.ReadAsync(r, ct),
            };
            if (LabCommand.Refuse("kmb lab compare", [.. named.Errors, .. options.Validate()])) return CommandRunner.BadInput;
            // Before any VM work: a report directory that cannot be written, or holds what kmb did not write.
            await OutputDirectory.CheckAsync(options.ReportDir, CompareReportWriter.OwnNames, ct);
            var progress = new ConsoleProgress();
            var outcome = await new CompareRun(options, progress).RunAsync(ct);
            if (outcome.Report is { } rep)
            {
                foreach (var s in rep.Summaries)
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"  {s.Policy,-8} {s.Measured}/{s.Trials} trials  mean {s.MeanMbps,8:0.0} Mbit/s  sd {s.StdDevMbps,7:0.0}  min {s.MinMbps,8:0.0}  all queues used {s.AllQueuesUsedShare,4:P0}  Jain {s.MeanJain:0.000}"));
                foreach (var ratio in rep.Ratios)
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"  {ratio.Numerator}/{ratio.Denominator} = {ratio.Ratio:0.000} (95% CI {ratio.Ci95.Low:0.000} .. {ratio.Ci95.High:0.000})"));
            }
            if (outcome.Error is not null) Console.Error.WriteLine($"kmb lab compare: {outcome.Error}");
            Console.WriteLine($"COMPARE {outcome.Report?.Verdict.ToUpperInvariant() ?? "ERROR"} trials={outcome.Report?.Trials.Count ?? 0} " +
                $"per-trial={outcome.Report?.SecondsPerTrial:0.0}s wall={outcome.Report?.WallSeconds:0.0}s exit={outcome.ExitCode} backend={options.Backend.Name()}");
            return CommandRunner.VerdictOrInterrupted(outcome.ExitCode, ct);
        });
        return compare;
    }
}
