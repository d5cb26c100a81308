using System.Diagnostics;
using System.Globalization;
using KmodBalance.Generator.Build;
using KmodBalance.Harness.Images;
using KmodBalance.Harness.Infrastructure;
using KmodBalance.Harness.Lab;
using KmodBalance.Harness.Measurement;
using KmodBalance.Harness.Reporting;
using KmodBalance.Harness.Vm;

namespace KmodBalance.Harness.Compare;

public sealed record CompareOutcome(int ExitCode, CompareReport? Report, string? Error);

/// <summary>
/// `kmb lab compare`: builds each policy's module and images once, then runs the interleaved schedule
/// of trials, each a fresh boot of the nested lab with its own cleanup. A trial whose lab fails is booted
/// again, up to <see cref="NestedTrial.Boots"/> boots, and otherwise recorded as an error; the run goes on. Exit 0 every trial measured,
/// 1 some trial could not be measured, 2 setup error or cancelled.
/// </summary>
public sealed class CompareRun(LabCompareOptions options, IProgress<string> progress)
{
    private readonly StepClock _clock = new(progress);
    private readonly List<TrialResult> _trials = [];
    private readonly Dictionary<string, string> _failedConsoles = new();
    private readonly Dictionary<string, string> _env = new();

    public async Task<CompareOutcome> RunAsync(CancellationToken ct)
    {
        if (options.Validate() is { Count: > 0 } invalid)
            return new CompareOutcome(ExitCodes.BadInputOrSetup, null, "[options] " + string.Join("; ", invalid));

        string? error = null;
        try
        {
            await RunScheduleAsync(ct);
        }
        catch (LabStepException e) { error = e.Message; }
        catch (OperationCanceledException) { error = $"[{_clock.Current}] cancelled (Ctrl-C/SIGTERM or timeout)"; }
        catch (Exception e) { error = $"[{_clock.Current}] unexpected: {e}"; }

        var report = BuildReport(error);
        try
        {
            await CompareReportWriter.WriteAsync(options.ReportDir, report, _failedConsoles);
            progress.Report($"report written to {Path.GetFullPath(options.ReportDir)}");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            error ??= $"[write-report] {e.Message}";
            return new CompareOutcome(ExitCodes.BadInputOrSetup, report, error);
        }
        var code = ExitCodes.ForVerdict(report.Verdict);
        return new CompareOutcome(code, report, error);
    }

    private async Task RunScheduleAsync(CancellationToken ct)
    {
        _env["backend"] = LabBackends.Describe(options.Backend);
        var kernel = await LabPreparation.CheckToolsAsync(options.Lab.KernelRelease, _clock, ct, options.Lab.Kernel);
        _env["kernel"] = kernel.Release;
        var vmImages = options.Lab.ResolveVmImagesDir();
        var prepared = new Dictionary<Policy, PreparedPolicy>();
        var modules = new LabModules(kernel, options.Lab.StateDir, options.Backend, options.Lab.Tunables);
        foreach (var policy in options.Policies)
        {
            prepared[policy] = await LabPreparation.PreparePolicyAsync(policy, null, modules, vmImages, _clock, progress, ct);
            _env[$"l1_image_{policy.Name()}"] = prepared[policy].Images.LabHost!.CacheKey[..16];
        }
        var runnerAccel = await LabPreparation.ProbeRunnerAccelAsync(kernel, _clock, progress, ct);

        var schedule = TrialSchedule.Build(options.Policies, options.Trials);
        var started = Stopwatch.StartNew();
        foreach (var slot in schedule)
        {
            ct.ThrowIfCancellationRequested();
            progress.Report($"=== trial {slot.Slot}/{schedule.Count}: {slot.Policy.Name()} #{slot.Trial}");
            var result = await RunTrialAsync(slot, prepared[slot.Policy], runnerAccel.Accel, kernel, ct);
            _trials.Add(result);
            _clock.Record($"trial {slot.Slot} {slot.Policy.Name()} #{slot.Trial}", result.WallSeconds);
            var left = started.Elapsed / slot.Slot * (schedule.Count - slot.Slot);
            progress.Report($"=== trial {slot.Slot}/{schedule.Count}: {Describe(result)}; about {left.TotalMinutes:0.0} min to go");
        }
    }

    private async Task<TrialResult> RunTrialAsync(ScheduledTrial slot, PreparedPolicy policy, Accel accel, InstalledKernel kernel, CancellationToken ct)
    {
        var sw = Stopwatch.StartNew();
        var failed = new List<FailedAttempt>();
        for (var attempt = 1; ; attempt++)
        {
            var (result, consoles, retryable) = await RunOneBootAsync(slot, policy, accel, kernel, sw, attempt, ct);
            if (result.Measured) return result with { FailedAttempts = failed };
            // Kept for every failed boot, also one a retry made good: a flaky lab is worth a look too.
            foreach (var (name, text) in consoles)
                _failedConsoles[$"{slot.Policy.Name()}-{slot.Trial}-boot{attempt}-{name}.log"] = text;
            if (attempt == NestedTrial.Boots || !retryable) return result with { FailedAttempts = failed };
            failed.Add(new FailedAttempt(attempt, result.Error!, result.RetriedBoots));
            progress.Report($"trial {slot.Slot} failed ({result.Error}); retrying on a fresh boot ({attempt} of {NestedTrial.Boots} boots used)");
        }
    }

    /// <returns>Retryable: <see cref="NestedTrial.MayBootAgain"/> of the boot's error.</returns>
    private async Task<(TrialResult, IReadOnlyDictionary<string, string>, bool Retryable)> RunOneBootAsync(ScheduledTrial slot, PreparedPolicy policy,
        Accel accel, InstalledKernel kernel, Stopwatch sw, int attempt, CancellationToken ct)
    {
        var clock = new StepClock(progress);
        var trial = new NestedTrial(clock, progress);
        var cleanup = new CleanupRegistry(progress.Report);
        try
        {
            var measured = await trial.RunAsync(policy, accel, kernel, options.Lab.StateDir, options.TrialSettings, cleanup, ct);
            _env["accel"] = measured.Accel;
            return (TrialResult.From(slot, measured, NestedTrial.ConsoleFailures(trial.Consoles), options.Queues, sw.Elapsed.TotalSeconds, attempt)
                with { RetriedBoots = clock.Timings.Where(t => t.Retried).ToList() }, trial.Consoles, true);
        }
        catch (LabStepException e)
        {
            await trial.CollectConsolesBestEffortAsync();
            return (TrialResult.Failed(slot, string.Join("; ", [e.Message, .. NestedTrial.ConsoleFailures(trial.Consoles)]), sw.Elapsed.TotalSeconds, attempt)
                with { RetriedBoots = clock.Timings.Where(t => t.Retried).ToList() }, trial.Consoles, NestedTrial.MayBootAgain(e));
        }
        finally
        {
            await cleanup.DisposeAsync();
        }
    }

    private static string Describe(TrialResult t) => t.Measured
        ? string.Create(CultureInfo.InvariantCulture,
            $"{t.Policy} #{t.Trial}: {t.TotalMbps:0.0} Mbit/s, {t.QueuesUsed} queues used, Jain {t.Jain:0.000}, " +
            $"migrations {(t.Migrations is { } m ? m.ToString(CultureInfo.InvariantCulture) : "-")}, {DescribePauses(t.Balance)}{t.WallSeconds:0} s")
        : $"{t.Policy} #{t.Trial}: FAILED after {t.Attempts} boots: {t.Error}";

    /// <summary>adaptive's pauses since the tap began to balance, and what they dropped.</summary>
    private static string DescribePauses(BalanceStats? b) =>
        b is { Pauses: { } p, PauseDrops: { } d } ? string.Create(CultureInfo.InvariantCulture, $"pauses {p} ({d} packets dropped), ") : "";

    private CompareReport BuildReport(string? error)
    {
        var summaries = options.Policies.Select(p => CompareStatistics.Summarise(p.Name(), _trials, options.Queues)).ToList();
        var verdict = LabVerdicts.OfTrials(error is not null, _trials.Select(t => t.Measured).ToList());
        return new CompareReport(verdict, PolicyNames.NamesOf(options.Policies), options.Test.NetperfName(), options.Flows, options.DurationSeconds, options.Queues,
            options.Trials, summaries, CompareStatistics.DynamicRatios(summaries), _trials, _clock.Timings,
            Math.Round(_clock.WallSeconds, 1), error, _env) { Tunables = options.Lab.Tunables };
    }
}
