using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using KmodBalance.Generator;
using KmodBalance.Generator.Build;
using KmodBalance.Generator.Kernels;
using KmodBalance.Generator.Output;
using KmodBalance.Generator.Source;
using KmodBalance.Harness.Check;
using KmodBalance.Harness.Infrastructure;
using KmodBalance.Harness.Lab;

namespace KmodBalance.Harness.Matrix;

/// <summary>What `kmb matrix` was asked to do besides the plan.</summary>
public sealed record MatrixOptions(MatrixPlan Plan, string ReportDir, string StateDir, string? VmImagesDir = null);

/// <summary>
/// `kmb matrix`: per cell, generate the policy from that kernel's own tun.c, build it with W=1
/// against its headers and compiler (counting warnings), run that tree's checkpatch.pl --strict
/// on the patch and, when asked, boot the kernel as L1 for `lab check` and the nested `lab run`.
/// Cells run one after another (the machine runs one VM at a time); a cell's failure is recorded
/// and the next cell runs. Exit 0 only when every cell passed.
/// </summary>
public sealed class MatrixRun(MatrixOptions options, IProgress<string> progress)
{
    /// <summary>Entries of a matrix report directory: a previous one may be replaced, nothing else.</summary>
    public static readonly IReadOnlySet<string> OwnNames = new HashSet<string>(
        [MatrixReportWriter.JsonFile, MatrixReportWriter.SummaryFile, MatrixReportWriter.JunitFile, MatrixReportWriter.KcidbFile,
         MatrixReportWriter.CellsDir]);

    /// <summary>Every policy's cell of a kernel is generated from the same tun.c, read once.</summary>
    private readonly TunSourceCache _sources = new();

    public async Task<MatrixReport> RunAsync(CancellationToken ct)
    {
        // The report directory is checked and locked before the first cell: a bad --report costs nothing.
        using var output = await OutputDirectory.OpenAsync(options.ReportDir, [], progress, ct, OwnNames);
        var started = DateTimeOffset.UtcNow;
        var wall = Stopwatch.StartNew();
        var work = Directory.CreateDirectory(Path.Combine(options.StateDir, "runs", $"matrix-{Environment.ProcessId}")).FullName;
        var cells = new List<MatrixCell>();
        try
        {
            var store = new KernelStore(options.StateDir);
            var plan = options.Plan.Cells;
            for (var i = 0; i < plan.Count; i++)
            {
                ct.ThrowIfCancellationRequested();
                var eta = MatrixEta.Estimate(cells.Select(c => c.Times.Total).ToList(), plan.Count - i);
                progress.Report($"=== cell {i + 1}/{plan.Count}: Linux {plan[i].Kernel.Name} x {plan[i].Policy.Name()} " +
                                $"(elapsed {MatrixEta.Format(wall.Elapsed)}, ETA {(eta is { } e ? MatrixEta.Format(e) : "after the first cell")})");
                var cell = await RunCellAsync(store, plan[i], Path.Combine(work, plan[i].Id), ct);
                cells.Add(cell);
                progress.Report($"=== cell {plan[i].Id}: {cell.Verdict.ToUpperInvariant()} in {cell.Times.Total:0.0} s " +
                                $"(build {cell.Build}, warnings {cell.Warnings?.ToString(CultureInfo.InvariantCulture) ?? "-"}, " +
                                $"checkpatch {cell.CheckpatchTotals?.ToString() ?? cell.Checkpatch}, check {cell.CheckVerdict}, run {cell.RunVerdict})" +
                                (cell.Error is { } err ? $": {err}" : ""));
            }
            var report = new MatrixReport(MatrixReport.CurrentFormat, Manifest.ToolVersionString, RunId(started), started,
                Math.Round(wall.Elapsed.TotalSeconds, 1), options.Plan.Check, options.Plan.Run, cells);
            await output.ReplaceAsync(staging => MatrixReportWriter.WriteIntoAsync(staging, report, work));
            progress.Report($"report written to {output.FullPath}");
            return report;
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    /// <summary>"20261201T031544Z": names this matrix in KCIDB ids.</summary>
    public static string RunId(DateTimeOffset started) => started.UtcDateTime.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);

    private async Task<MatrixCell> RunCellAsync(KernelStore store, MatrixCellPlan plan, string dir, CancellationToken ct)
    {
        var startedAt = DateTimeOffset.UtcNow;
        var total = Stopwatch.StartNew();
        var cell = new CellState(plan);
        var cellProgress = new PrefixedProgress(progress, $"  [{plan.Id}] ");
        try
        {
            var record = await store.EnsureAsync(plan.Kernel, cellProgress.Report, ct);
            cell.Release = record.Release;
            cell.ImageVersion = record.ImageVersion;
            cell.Compiler = record.CompilerVersion;
            var moduleDir = Path.Combine(dir, "module");

            var sw = Stopwatch.StartNew();
            BuildResult built;
            GenerateResult generated;
            try
            {
                var source = await _sources.ReadAsync(record.SourceTree, ct);
                var author = await PatchAuthor.FromGitConfigAsync(ct);
                generated = await TunGenerator.GenerateAsync(new GenerateRequest(source, plan.Policy, new Tunables(), moduleDir, author), ct);
                cell.Times = cell.Times with { Generate = Seconds(sw) };
                sw.Restart();
                built = await KbuildRunner.BuildAsync(moduleDir, record.HeadersDir, extraWarnings: true, ct);
                cell.Times = cell.Times with { Build = Seconds(sw) };
            }
            catch (KmbException e)
            {
                cell.Build = StageVerdict.Fail;
                cell.Error = "build: " + e.Message;
                return cell.Finish(startedAt, total);
            }
            cell.Build = StageVerdict.Pass;
            cell.Warnings = built.Warnings.Count;
            cell.WarningLines = built.Warnings;
            cell.Vermagic = built.Vermagic;
            progress.Report($"  [{plan.Id}] built {built.Module} with W=1 in {built.Seconds:0.0} s: {built.Warnings.Count} warnings ({built.Vermagic})");

            sw.Restart();
            var patch = Path.Combine(generated.OutDir, generated.Manifest.Patch!);
            cell.PatchSha256 = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(patch)));
            var checkpatch = await Checkpatch.RunAsync(record.Checkpatch, patch, ct);
            await File.WriteAllTextAsync(Path.Combine(dir, "checkpatch.txt"), checkpatch.Output, ct);
            cell.CheckpatchTotals = checkpatch.Totals;
            cell.Checkpatch = checkpatch.Totals.Clean ? StageVerdict.Pass : StageVerdict.Fail;
            cell.Times = cell.Times with { Checkpatch = Seconds(sw) };
            progress.Report($"  [{plan.Id}] checkpatch --strict ({record.Checkpatch}): {checkpatch.Totals}, {checkpatch.Totals.Lines} lines");

            if (options.Plan.Check) await CheckAsync(plan, record, moduleDir, dir, cell, cellProgress, ct);
            if (options.Plan.Run) await RunLabAsync(plan, record, moduleDir, dir, cell, cellProgress, ct);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception e) when (e is KmbException or LabStepException or IOException or FormatException)
        {
            cell.Error ??= e.Message;
        }
        return cell.Finish(startedAt, total);
    }

    private async Task CheckAsync(MatrixCellPlan plan, KernelRecord record, string moduleDir, string dir, CellState cell,
        IProgress<string> cellProgress, CancellationToken ct)
    {
        var sw = Stopwatch.StartNew();
        var check = new CheckOptions
        {
            Policy = plan.Policy, ModuleDir = moduleDir, ReportDir = Path.Combine(dir, "check"), Lab = CellLab(record),
        };
        if (check.Validate() is { Count: > 0 } invalid)
        {
            cell.CheckVerdict = StageVerdict.Error;
            cell.Error = "check: " + string.Join("; ", invalid);
            return;
        }
        var outcome = await new CheckRun(check, cellProgress).RunAsync(ct);
        var r = outcome.Report;
        cell.CheckVerdict = r.Verdict;
        cell.CheckProperties = r.Properties.Count;
        cell.CheckFailed = r.Properties.Count(p => p.Verdict != StageVerdict.Pass);
        cell.CheckProblems = r.Properties.Where(p => p.Verdict != StageVerdict.Pass).Select(p => $"{p.Scenario}/{p.Property}: {p.Verdict} - {p.Message}").ToList();
        cell.Taint = r.Environment.TryGetValue("tun", out var tun) ? TaintOf(tun) : null;
        if (r.Error is not null) cell.Error = "check: " + r.Error;
        cell.Times = cell.Times with { Check = Seconds(sw) };
    }

    /// <summary>The cell's kernel, booted from the matrix's state dir.</summary>
    private LabEnvironment CellLab(KernelRecord record) =>
        new() { StateDir = options.StateDir, Kernel = record.AsKernel(), VmImagesDir = options.VmImagesDir };

    private async Task RunLabAsync(MatrixCellPlan plan, KernelRecord record, string moduleDir, string dir, CellState cell,
        IProgress<string> cellProgress, CancellationToken ct)
    {
        var sw = Stopwatch.StartNew();
        var outcome = await new LabRun(new LabOptions
        {
            Policy = plan.Policy, ModuleDir = moduleDir, ReportDir = Path.Combine(dir, "run"), Lab = CellLab(record),
        }, cellProgress).RunAsync(ct);
        cell.RunVerdict = outcome.Verdict;
        if (outcome.Error is not null) cell.Error ??= "run: " + outcome.Error;
        cell.Times = cell.Times with { Run = Seconds(sw) };
    }

    /// <summary>Pure: "taint=OE" of load-tun.sh's "KMB-TUN srcversion=... taint=OE" line ("" = untainted).</summary>
    public static string? TaintOf(string tunStatus)
    {
        var at = tunStatus.IndexOf("taint=", StringComparison.Ordinal);
        return at < 0 ? null : tunStatus[(at + "taint=".Length)..].Split(' ')[0];
    }

    private static double Seconds(Stopwatch sw) => Math.Round(sw.Elapsed.TotalSeconds, 2);

    /// <summary>A cell while it runs: each stage fills in what it showed.</summary>
    private sealed class CellState(MatrixCellPlan plan)
    {
        public string? Release, ImageVersion, Compiler, Vermagic, Taint, PatchSha256, Error;
        public string Build = StageVerdict.Error, Checkpatch = StageVerdict.Skipped, CheckVerdict = StageVerdict.Skipped, RunVerdict = StageVerdict.Skipped;
        public int? Warnings, CheckProperties, CheckFailed;
        public IReadOnlyList<string> WarningLines = [], CheckProblems = [];
        public CheckpatchTotals? CheckpatchTotals;
        public CellTimes Times = new(0, 0, 0, 0, 0, 0);

        public MatrixCell Finish(DateTimeOffset startedAt, Stopwatch total) =>
            new(plan.Id, plan.Kernel.Name, plan.Policy.Name(), Release, ImageVersion, Compiler, Build, Warnings, WarningLines,
                Checkpatch, CheckpatchTotals, CheckVerdict, CheckProperties, CheckFailed, CheckProblems, RunVerdict, Vermagic, Taint, PatchSha256,
                startedAt, Times with { Total = Seconds(total) }, Error);
    }
}

/// <summary>Reports each line at once (Progress&lt;T&gt; would post it to the thread pool, out of order), prefixed with the cell.</summary>
internal sealed class PrefixedProgress(IProgress<string> inner, string prefix) : IProgress<string>
{
    public void Report(string value) => inner.Report(prefix + value);
}

/// <summary>Pure: the ETA of the remaining cells from the ones done (their mean; a kernel's first cell
/// carries its fetch and image builds, so the mean is a fair guess for a kernel-major plan).</summary>
public static class MatrixEta
{
    public static TimeSpan? Estimate(IReadOnlyList<double> doneSeconds, int remaining) =>
        doneSeconds.Count == 0 ? null : TimeSpan.FromSeconds(doneSeconds.Average() * remaining);

    public static string Format(TimeSpan t) =>
        t.TotalHours >= 1 ? $"{(int)t.TotalHours}h{t.Minutes:00}m" : $"{(int)t.TotalMinutes}m{t.Seconds:00}s";
}
