using KmodBalance.Generator.Output;
using System.CommandLine;
using KmodBalance.Generator.Build;
using KmodBalance.Harness.Lab;

namespace KmodBalance.Cli.Commands;

/// <summary>`kmb lab run`: proves on a real guest that a multi-queue tap spreads load under a policy.</summary>
internal static class LabCommand
{
    public static Command Create()
    {
        var module = new Option<string?>("--module") { Description = "Directory with the built tun.ko (from `kmb build`)" };
        var policy = new Option<string>("--policy")
        {
            Description = "stock, hash, dynamic or adaptive: without --module, generated from the installed linux-source and built for the lab kernel",
            DefaultValueFactory = _ => "dynamic",
        };
        policy.AcceptOnlyFromAmong(PolicyNames.NamesOf(PolicyNames.All));
        var flows = new Option<int>("--flows") { Description = "Concurrent netperf flows", DefaultValueFactory = _ => 4 };
        var duration = new Option<int>("--duration") { Description = "Seconds per netperf flow (-l)", DefaultValueFactory = _ => 10 };
        var report = new Option<string>("--report") { Description = "Report directory (report.json, junit.xml, summary.md, consoles/)", DefaultValueFactory = _ => "out/lab" };
        var test = new Option<string>("--test") { Description = "tcp (TCP_STREAM) or udp (UDP_STREAM)", DefaultValueFactory = _ => "tcp" };
        test.AcceptOnlyFromAmong([.. NetperfTests.OptionNames]);
        var queues = new Option<int>("--queues") { Description = "Tap queues = L2 vCPUs", DefaultValueFactory = _ => 4 };
        var minShare = new Option<double>("--min-share") { Description = "Minimum packet share every queue must carry", DefaultValueFactory = _ => QueueShare.SpreadMinimum };
        var topology = new Option<string>("--topology") { Description = "nested (L1 lab-host VM runs the module) or host (refused unless --allow-host-module)", DefaultValueFactory = _ => "nested" };
        topology.AcceptOnlyFromAmong("nested", "host");
        var allowHost = new Option<bool>("--allow-host-module") { Description = "Allow --topology host to load the module into this machine's kernel" };
        var lab = new LabEnvironmentOptions();
        var backend = LabSharedOptions.Backend();

        var run = new Command("run", "Boot the lab, load the module, run netperf, judge the per-queue spread")
        {
            module, policy, flows, duration, report, test, queues, minShare, topology, allowHost, backend,
        };
        lab.AddTo(run);
        run.SetAction(async (ParseResult r, CancellationToken ct) =>
        {
            var options = new LabOptions
            {
                ModuleDir = r.GetValue(module),
                Policy = PolicyNames.Parse(r.GetValue(policy)!),
                Flows = r.GetValue(flows),
                DurationSeconds = r.GetValue(duration),
                ReportDir = r.GetValue(report)!,
                Test = NetperfTests.FromOption(r.GetValue(test)!),
                Queues = r.GetValue(queues),
                MinShare = r.GetValue(minShare),
                Topology = r.GetValue(topology) == "host" ? Topology.Host : Topology.Nested,
                AllowHostModule = r.GetValue(allowHost),
                Backend = LabBackends.Parse(r.GetValue(backend)!),
                Lab = await lab.ReadAsync(r, ct),
            };
            if (Refuse("kmb lab run", options.Validate())) return CommandRunner.BadInput;
            // Before any VM work: a module directory of another policy, unbuilt, or with a broken manifest.
            if (options.ModuleDir is { } moduleDir)
                BuiltModule.Verify(moduleDir, options.Policy, options.Lab.Tunables);
            await OutputDirectory.CheckAsync(options.ReportDir, ReportWriter.OwnNames, ct);
            var progress = new ConsoleProgress();
            var outcome = await new LabRun(options, progress).RunAsync(ct);
            if (outcome.Report is { } rep)
            {
                Console.WriteLine("step timings:");
                foreach (var s in rep.Steps) Console.WriteLine($"  {s.Step,-22} {s.Seconds,7:0.0} s");
                foreach (var q in rep.Queues)
                    Console.WriteLine($"  queue {q.Queue}: irq {q.Interrupts,8} rx {q.RxPackets,9} host {q.HostPackets,9} share {q.Share,6:P1}");
                foreach (var reason in rep.Reasons) Console.WriteLine($"  reason: {reason}");
            }
            if (outcome.Error is not null) Console.Error.WriteLine($"kmb lab run: {outcome.Error}");
            Console.WriteLine($"VERDICT {outcome.Verdict.ToUpperInvariant()} policy={options.Policy.Name()} backend={options.Backend.Name()} flows={options.Flows} " +
                $"queues={options.Queues} jain={outcome.Report?.Jain:0.000} wall={outcome.Report?.WallSeconds:0.0}s exit={outcome.ExitCode}");
            return CommandRunner.VerdictOrInterrupted(outcome.ExitCode, ct);
        });
        return new Command("lab", "The VM lab that proves a policy on a real guest") { run, LabCompareCommand.Create(), LabCheckCommand.Create(), LabCapacityCommand.Create() };
    }

    /// <summary>Prints each problem of the options as one line and says whether there were any (exit 2, before any VM work).</summary>
    public static bool Refuse(string verb, IReadOnlyList<string> problems)
    {
        foreach (var p in problems) Console.Error.WriteLine($"{verb}: {p}");
        return problems.Count > 0;
    }
}
