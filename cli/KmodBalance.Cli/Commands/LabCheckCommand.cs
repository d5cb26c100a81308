using KmodBalance.Generator.Output;
using System.CommandLine;
using KmodBalance.Generator.Build;
using KmodBalance.Harness.Check;
using KmodBalance.Harness.Lab;

namespace KmodBalance.Cli.Commands;

/// <summary>`kmb lab check`: the deterministic check. Boots the lab host (L1) with the policy's module and
/// asserts the balancer's properties exactly from per-queue, per-flow datagram records (mqtap + udpflows),
/// independent of the boot's hash seed.</summary>
internal static class LabCheckCommand
{
    public static Command Create()
    {
        var policy = new Option<string>("--policy")
        {
            Description = "hash (every flow on one queue; queue changes), dynamic (spread, lone flows, convergence; queue changes) " +
                          "or adaptive (the guest's queue, equal flows split without reordering; queue changes)",
            Required = true,
        };
        policy.AcceptOnlyFromAmong(PolicyNames.NamesOf(PolicyNames.Patched));
        var module = new Option<string?>("--module") { Description = "Directory with the built tun.ko (default: generated and built for the policy)" };
        var report = new Option<string>("--report") { Description = "Report directory (report.json, junit.xml, summary.md, raw/, consoles/)", DefaultValueFactory = _ => "out/check" };
        var scenario = new Option<string[]>("--scenario")
        {
            Description = "Run only these scenarios (hash: sticky, requeue, optin, single-queue, netpoll; dynamic: spread4, converge, requeue, optin, " +
                          "flood, single-queue, netpoll); stress: everything a user can do to a balancing tap, for the debug kernel (--kernel debug)",
            AllowMultipleArgumentsPerToken = true,
        };
        var stress = new Option<string>("--stress")
        {
            Description = "How hard --scenario stress pushes: full (1,000 queue detaches, tunable changes and switches, a 100,000-flow flood, " +
                          "100 steering programs) or short (a tenth of each, for CI)",
            DefaultValueFactory = _ => "full",
        };
        stress.AcceptOnlyFromAmong("full", "short");
        var lab = new LabEnvironmentOptions();
        var backend = LabSharedOptions.Backend();

        var check = new Command("check", "Deterministic check of a policy's queue selection in the lab host, without a guest")
        {
            policy, module, report, scenario, stress, backend,
        };
        lab.AddTo(check);
        check.SetAction(async (ParseResult r, CancellationToken ct) =>
        {
            var options = new CheckOptions
            {
                Policy = PolicyNames.Parse(r.GetValue(policy)!),
                ModuleDir = r.GetValue(module),
                ReportDir = r.GetValue(report)!,
                Scenarios = r.GetValue(scenario) ?? [],
                Stress = r.GetValue(stress) == "short" ? StressPlan.Short : new StressPlan(),
                Backend = LabBackends.Parse(r.GetValue(backend)!),
                Lab = await lab.ReadAsync(r, ct),
            };
            if (LabCommand.Refuse("kmb lab check", options.Validate())) return CommandRunner.BadInput;
            // Before any VM work: a module directory of another policy, unbuilt, or with a broken manifest.
            if (options.ModuleDir is { } moduleDir)
                BuiltModule.Verify(moduleDir, options.Policy, options.Lab.Tunables);
            await OutputDirectory.CheckAsync(options.ReportDir, CheckReportWriter.OwnNames, ct);
            var progress = new ConsoleProgress();
            var outcome = await new CheckRun(options, progress).RunAsync(ct);
            var rep = outcome.Report;
            Console.WriteLine("step timings:");
            foreach (var s in rep.Steps) Console.WriteLine($"  {s.Step,-22} {s.Seconds,7:0.0} s");
            foreach (var p in rep.Properties)
                Console.WriteLine($"  {p.Verdict.ToUpperInvariant(),-5} {p.Scenario}/{p.Property}: {p.Message}");
            if (rep.Error is not null) Console.Error.WriteLine($"kmb lab check: {rep.Error}");
            Console.WriteLine($"CHECK {rep.Verdict.ToUpperInvariant()} policy={rep.Policy} properties={rep.Properties.Count} " +
                $"failed={rep.Properties.Count(p => p.Verdict == "fail")} errors={rep.Properties.Count(p => p.Verdict == "error")} " +
                $"wall={rep.WallSeconds:0.0}s exit={outcome.ExitCode} backend={options.Backend.Name()}");
            return CommandRunner.VerdictOrInterrupted(outcome.ExitCode, ct);
        });
        return check;
    }
}
