using KmodBalance.Generator.Build;
using KmodBalance.Harness.Images;
using KmodBalance.Harness.Infrastructure;
using KmodBalance.Harness.Lab.Steps;
using KmodBalance.Harness.Measurement;
using KmodBalance.Harness.Reporting;
using KmodBalance.Harness.Ssh;
using KmodBalance.Harness.Vm;

namespace KmodBalance.Harness.Lab;

public sealed record LabOutcome(int ExitCode, string Verdict, string? Error, LabReport? Report);

/// <summary>`kmb lab run`: the nested lab, one step per line. Exit 0 pass, 1 verdict fail, 2 setup error.</summary>
public sealed class LabRun(LabOptions options, IProgress<string> progress)
{
    private readonly StepClock _clock = new(progress);
    private readonly Dictionary<string, string> _env = new();
    /// <summary>Console logs for the report: the last boot's by name ("l1", "l2", ...), failed boots' as "bootN-l1".</summary>
    private readonly Dictionary<string, string> _consoles = new();

    public async Task<LabOutcome> RunAsync(CancellationToken ct)
    {
        if (options.Validate() is { Count: > 0 } invalid)
            return new LabOutcome(ExitCodes.BadInputOrSetup, LabVerdicts.Error, "[options] " + string.Join("; ", invalid), null);

        _env["backend"] = LabBackends.Describe(options.Backend);
        string? error = null;
        (SpreadVerdict Verdict, TrialMeasurement Measurement)? result = null;
        try
        {
            result = options.Topology == Topology.Host ? await RefuseHostTopologyAsync(ct) : await RunNestedAsync(ct);
        }
        catch (LabStepException e) { error = e.Message; }
        catch (OperationCanceledException) { error = $"[{_clock.Current}] cancelled (Ctrl-C/SIGTERM or timeout)"; }
        catch (Exception e) { error = $"[{_clock.Current}] unexpected: {e}"; }
        return WriteReport(error, result, _consoles);
    }

    private async Task<(SpreadVerdict, TrialMeasurement)> RunNestedAsync(CancellationToken ct)
    {
        var o = options;
        var kernel = await LabPreparation.CheckToolsAsync(o.Lab.KernelRelease, _clock, ct, o.Lab.Kernel);
        _env["kernel"] = kernel.Release;
        var prepared = await LabPreparation.PreparePolicyAsync(o.Policy, o.ModuleDir, new LabModules(kernel, o.Lab.StateDir, o.Backend, o.Lab.Tunables),
            o.Lab.ResolveVmImagesDir(), _clock, progress, ct);
        _env["guest_image"] = prepared.Images.Guest.CacheKey[..16];
        _env["l1_image"] = prepared.Images.LabHost!.CacheKey[..16];
        var runnerAccel = await LabPreparation.ProbeRunnerAccelAsync(kernel, _clock, progress, ct);

        var settings = new TrialSettings(o.Flows, o.DurationSeconds, o.Test, o.Queues);
        for (var boot = 1; ; boot++)
        {
            var measured = await BootAndMeasureAsync(prepared, runnerAccel.Accel, kernel, settings, boot, ct);
            if (measured is not null)
                return (SpreadJudge.Judge(measured.Samples, o.Flows, new SpreadCriteria(o.MinShare)), measured);
        }
    }

    /// <summary>One fresh boot of the nested lab, cleaned up before it returns. A lab error is most often
    /// the emulator's (<see cref="NestedTrial.Boots"/>): before the last boot it is recorded as a retried
    /// step, its consoles kept as bootN-*.log, and null says boot again; the last boot's error is the
    /// run's. A verdict, and an error <see cref="NestedTrial.MayBootAgain"/> refuses, are never retried.</summary>
    private async Task<TrialMeasurement?> BootAndMeasureAsync(PreparedPolicy prepared, Accel runnerAccel, InstalledKernel kernel,
        TrialSettings settings, int boot, CancellationToken ct)
    {
        var trial = new NestedTrial(_clock, progress);
        var cleanup = new CleanupRegistry(progress.Report);
        var sw = System.Diagnostics.Stopwatch.StartNew();
        var retried = false;
        try
        {
            return await trial.RunAsync(prepared, runnerAccel, kernel, options.Lab.StateDir, settings, cleanup, ct);
        }
        catch (LabStepException e) when (NestedTrial.MayBootAgain(e) && boot < NestedTrial.Boots && !ct.IsCancellationRequested)
        {
            await trial.CollectConsolesBestEffortAsync();
            foreach (var (name, text) in trial.Consoles) _consoles[$"boot{boot}-{name}"] = text;
            _clock.RecordRetried($"nested boot {boot} of {NestedTrial.Boots}", sw.Elapsed.TotalSeconds,
                string.Join("; ", [e.Message, .. NestedTrial.ConsoleFailures(trial.Consoles)]));
            retried = true;
            return null;
        }
        finally
        {
            if (!retried)
            {
                await trial.CollectConsolesBestEffortAsync();
                foreach (var (name, text) in trial.Consoles) _consoles[name] = text;
            }
            foreach (var (key, value) in trial.Environment) _env[key] = value;
            var cleanupTime = System.Diagnostics.Stopwatch.StartNew();
            await cleanup.DisposeAsync();
            _clock.Record("cleanup", cleanupTime.Elapsed.TotalSeconds);
        }
    }

    /// <summary>Topology `host` would insmod the module into this runner's own kernel and boot the
    /// guest directly under KVM on a multi-queue tap in the run's netns. It is refused here.</summary>
    private async Task<(SpreadVerdict, TrialMeasurement)> RefuseHostTopologyAsync(CancellationToken ct)
    {
        if (!options.AllowHostModule)
            throw new LabStepException("topology", "--topology host loads the patched tun.ko into THIS machine's kernel; " +
                "it needs a disposable bare-metal runner with KVM running exactly the module's kernel. Pass --allow-host-module to confirm, or use --topology nested");
        var kernel = InstalledKernel.Find(options.Lab.KernelRelease);
        var decision = AccelProbe.Decide(await AccelProbe.ProbeHostAsync(kernel.VmlinuzPath, ct), "runner");
        if (decision.Accel != Accel.Kvm)
            throw new LabStepException("topology", $"--topology host needs working KVM: {decision.Message}");
        throw new LabStepException("topology", "--topology host is not implemented yet (see vm-images/README.md); use --topology nested");
    }

    private LabOutcome WriteReport(string? error, (SpreadVerdict Verdict, TrialMeasurement Measurement)? result,
        IReadOnlyDictionary<string, string> consoles)
    {
        var reasons = new List<string>();
        var verdict = LabVerdicts.Error;
        if (error is null && result is { } r)
        {
            reasons.AddRange(r.Verdict.Reasons);
            reasons.AddRange(r.Measurement.Netperf.Problems);
            reasons.AddRange(NestedTrial.ConsoleFailures(consoles));
            verdict = reasons.Count == 0 && r.Verdict.Passed ? LabVerdicts.Pass : LabVerdicts.Fail;
        }
        else
        {
            reasons.AddRange(NestedTrial.ConsoleFailures(consoles));
        }
        var queues = result is { } q
            ? q.Measurement.Samples.Select((s, i) => new QueueReport(s.Queue, s.Interrupts, s.RxPackets, s.HostPackets, q.Verdict.Shares.ElementAtOrDefault(i))).ToList()
            : [];
        _env["host_kernel"] = Environment.OSVersion.VersionString;
        var report = new LabReport(verdict, options.Policy.Name(), options.Topology.ToString().ToLowerInvariant(),
            result?.Measurement.Accel ?? "unknown", options.Test.NetperfName(), options.Flows, options.DurationSeconds, queues,
            result?.Measurement.Netperf.Flows ?? [], result?.Verdict.Jain ?? 0, reasons,
            _clock.Timings, Math.Round(_clock.WallSeconds, 2), error, _env, result?.Verdict.Evidence, options.MinShare,
            result?.Measurement.Migrations, result?.Measurement.After.Balance,
            result?.Measurement.Balancing ?? (_env.TryGetValue("balancing", out var b) ? b : null), result?.Measurement.Tcp)
        {
            Tunables = options.Lab.Tunables,
        };
        // ReportWriter copies console logs from files: stage the captured texts in a temp dir.
        var staged = Directory.CreateTempSubdirectory("kmb-consoles-");
        try
        {
            var logs = new Dictionary<string, string>();
            foreach (var (name, text) in consoles)
            {
                logs[name + ".log"] = Path.Combine(staged.FullName, name + ".log");
                File.WriteAllText(logs[name + ".log"], text);
            }
            ReportWriter.Write(options.ReportDir, report, logs);
            progress.Report($"report written to {Path.GetFullPath(options.ReportDir)}");
        }
        catch (Exception e)
        {
            progress.Report($"[write-report] failed: {e.Message}");
            if (error is null) { error = $"[write-report] {e.Message}"; verdict = LabVerdicts.Error; }
        }
        finally
        {
            staged.Delete(recursive: true);
        }
        return new LabOutcome(ExitCodes.ForVerdict(verdict), verdict, error, report);
    }
}
