using System.CommandLine;
using KmodBalance.Generator.Kernels;
using KmodBalance.Generator.Output;
using KmodBalance.Harness.Lab;
using KmodBalance.Harness.Matrix;

namespace KmodBalance.Cli.Commands;

/// <summary>`kmb matrix`: every policy generated, built with W=1, checkpatch'ed and (with --check/--run)
/// booted on every kernel generation, one cell after another, into one report.</summary>
internal static class MatrixCommand
{
    public static Command Create()
    {
        var kernels = new Option<string>("--kernels")
        {
            Description = $"Comma-separated kernel generations ({KernelGeneration.SupportedNames}); each is fetched on first use",
            DefaultValueFactory = _ => string.Join(',', KernelGeneration.All.Select(g => g.Name)),
        };
        var policies = new Option<string>("--policies")
        {
            Description = $"Comma-separated policies ({PolicyNames.Listed(MatrixPlan.Policies)})",
            DefaultValueFactory = _ => "hash,dynamic",
        };
        var check = new Option<bool>("--check") { Description = "Boot each kernel as L1 with the cell's module and run `lab check` (about 70 s a cell under TCG)" };
        var run = new Option<bool>("--run") { Description = "Also run the nested lab (`lab run`: L1 + L2 on the kernel, netperf spread verdict)" };
        var report = new Option<string>("--report") { Description = "Report directory (summary.md, report.json, junit.xml, kcidb.json, cells/)", Required = true };
        var stateDir = new Option<string>("--state-dir") { Description = "Where kernels, images and caches live", DefaultValueFactory = _ => StateDirectory.DefaultPath };

        var command = new Command("matrix",
            "Kernel x policy matrix for CI: per cell generate from that kernel's tun.c, build with W=1 (warnings counted), " +
            "that tree's checkpatch.pl --strict, and with --check/--run boot the kernel and check the module. " +
            "Exit 0 only when every cell passed")
        {
            kernels, policies, check, run, report, stateDir,
        };
        command.SetAction((r, ct) => CommandRunner.RunAsync(async () =>
        {
            var (plan, errors) = MatrixPlan.Parse(r.GetValue(kernels)!, r.GetValue(policies)!, r.GetValue(check), r.GetValue(run));
            if (plan is null)
            {
                Console.Error.WriteLine($"kmb matrix: {string.Join("; ", errors)}");
                return CommandRunner.BadInput;
            }
            var progress = new ConsoleProgress();
            using var signals = new SignalCancellation(ct, progress);
            progress.Report($"matrix: {plan.Cells.Count} cells ({string.Join(", ", plan.Cells.Select(c => c.Id))}), " +
                            $"stages: generate, build W=1, checkpatch{(plan.Check ? ", lab check" : "")}{(plan.Run ? ", lab run" : "")}");
            var result = await new MatrixRun(new MatrixOptions(plan, r.GetValue(report)!, r.GetValue(stateDir)!), progress).RunAsync(signals.Token);
            Console.WriteLine($"{"cell",-14} {"build",-6} {"warn",4}  {"checkpatch",-31} {"check",-7} {"run",-7} {"taint",-5} {"total",7}");
            foreach (var c in result.Cells)
                Console.WriteLine($"{c.Id,-14} {c.Build,-6} {c.Warnings?.ToString() ?? "-",4}  {c.CheckpatchTotals?.ToString() ?? c.Checkpatch,-31} " +
                                  $"{c.CheckVerdict,-7} {c.RunVerdict,-7} {c.Taint ?? "-",-5} {c.Times.Total,6:0.0}s");
            Console.WriteLine($"MATRIX {result.Verdict.ToUpperInvariant()} cells={result.Cells.Count} passed={result.Cells.Count(c => c.Passed)} " +
                              $"wall={result.WallSeconds:0.0}s exit={result.ExitCode}");
            return result.ExitCode;
        }));
        return command;
    }
}
