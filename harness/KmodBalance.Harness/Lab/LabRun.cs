using KmodBalance.Harness.Images;
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
    private readonly Dictionary<string, string> _consoles = new();
    private readonly Dictionary<string, string> _env = new();
    private readonly L1Session.Started _l1 = new();
    private string _accel = "unknown";

    public async Task<LabOutcome> RunAsync(CancellationToken ct)
    {
        if (options.Validate() is { Count: > 0 } invalid)
            return new LabOutcome(2, "error", "[options] " + string.Join("; ", invalid), null);

        string? error = null;
        (SpreadVerdict Verdict, IReadOnlyList<QueueSample> Samples, MeasureSteps.NetperfOutcome Netperf, IReadOnlyList<string> Extra)? result = null;
        var cleanup = new CleanupRegistry(progress.Report);
        {
            try
            {
                result = options.Topology == Topology.Host ? await RefuseHostTopologyAsync(ct) : await RunNestedAsync(cleanup, ct);
            }
            catch (LabStepException e) { error = e.Message; }
            catch (OperationCanceledException) { error = $"[{CurrentStep()}] cancelled (Ctrl-C/SIGTERM or timeout)"; }
            catch (Exception e) { error = $"[{CurrentStep()}] unexpected: {e}"; }
            finally
            {
                await CollectConsolesBestEffortAsync();
                var sw = System.Diagnostics.Stopwatch.StartNew();
                await cleanup.DisposeAsync();
                _clock.Record("cleanup", sw.Elapsed.TotalSeconds);
            }
        }
        return WriteReport(error, result);
    }

    private async Task<(SpreadVerdict, IReadOnlyList<QueueSample>, MeasureSteps.NetperfOutcome, IReadOnlyList<string>)> RunNestedAsync(
        CleanupRegistry cleanup, CancellationToken ct)
    {
        var o = options;
        var kernel = await LabPreparation.CheckToolsAsync(o.KernelRelease, _clock, ct);
        _env["kernel"] = kernel.Release;
        var prepared = await LabPreparation.PreparePolicyAsync(o.Policy, o.ModuleDir, kernel, o.StateDir, o.ResolveVmImagesDir(), _clock, progress, ct);
        _env["guest_image"] = prepared.Images.Guest.CacheKey[..16];
        _env["l1_image"] = prepared.Images.LabHost!.CacheKey[..16];
        var hostAccel = await LabPreparation.ProbeRunnerAccelAsync(kernel, _clock, progress, ct);
        _env["l1_accel"] = hostAccel.Accel.ToString().ToLowerInvariant();

        var session = await L1Session.StartAsync(prepared, hostAccel.Accel, kernel.VmlinuzPath, o.StateDir, _clock, cleanup, _l1, progress, ct);
        _env["tun"] = session.TunStatus;
        var l1 = session.Ssh;
        var l2Accel = await _clock.Step("l1-kvm", () => LabHostSteps.SetupKvmAsync(l1, ct), ct);
        progress.Report(l2Accel.Message);
        _accel = $"l1={_env["l1_accel"]},l2={l2Accel.Accel.ToString().ToLowerInvariant()}";
        await _clock.Step("create-ltap", () => LabHostSteps.CreateTapAsync(l1, ct), ct);

        var l2Cmd = BootL2Step.Command(l2Accel.Accel, o.Queues);
        var l2Ready = await _clock.Step("boot-l2", () => BootL2Step.RunAsync(l1, l2Cmd, progress, ct), ct);
        progress.Report($"L2 ready ({l2Ready})");
        var l2 = await _clock.Step("ssh-l2", async () =>
        {
            var port = await l1.ForwardAsync(BootL2Step.Ip, 22, ct);
            return cleanup.Add("closed SSH to L2", await LabSshClient.ConnectAsync("ssh-l2", session.Netns.Name, "127.0.0.1", port,
                prepared.Images.Guest.Keys.ClientKeyPath, prepared.Images.Guest.Keys.HostKeyFingerprint, TimeSpan.FromSeconds(120), ct));
        }, ct);

        var before = await _clock.Step("snapshot-before", () => MeasureSteps.SnapshotAsync("snapshot-before", l1, l2, ct), ct);
        var np = await _clock.Step("netperf", () => MeasureSteps.RunNetperfAsync(l1, o.Flows, o.DurationSeconds, o.Test, ct), ct);
        var after = await _clock.Step("snapshot-after", () => MeasureSteps.SnapshotAsync("snapshot-after", l1, l2, ct), ct);
        foreach (var f in np.Flows) progress.Report($"  flow {f.Flow}: {f.Mbps:0.00} Mbit/s");

        await _clock.Step("collect-consoles", async () =>
        {
            _consoles["l2"] = await BootL2Step.ReadConsoleAsync(l1, ct);
            _consoles["l1"] = session.Vm.Console;
        }, ct);

        return await _clock.Step("judge", () =>
        {
            var samples = Deltas.Compute(before.Snapshot, after.Snapshot, o.Queues);
            var verdict = SpreadJudge.Judge(samples, o.Flows, new SpreadCriteria(o.MinShare));
            _consoles["l2-snapshot-before"] = string.Join("\n### \n", before.Raw.L2Interrupts, before.Raw.L2Ethtool, before.Raw.L1Tc);
            _consoles["l2-snapshot-after"] = string.Join("\n### \n", after.Raw.L2Interrupts, after.Raw.L2Ethtool, after.Raw.L1Tc);
            _consoles["netperf"] = np.RawOutput;
            return Task.FromResult((verdict, samples, np, (IReadOnlyList<string>)np.Problems));
        }, ct);
    }

    /// <summary>Topology `host` would insmod the module into this runner's own kernel and boot the
    /// guest directly under KVM on a multi-queue tap in the run's netns. It is refused here.</summary>
    private async Task<(SpreadVerdict, IReadOnlyList<QueueSample>, MeasureSteps.NetperfOutcome, IReadOnlyList<string>)> RefuseHostTopologyAsync(CancellationToken ct)
    {
        if (!options.AllowHostModule)
            throw new LabStepException("topology", "--topology host loads the patched tun.ko into THIS machine's kernel; " +
                "it needs a disposable bare-metal runner with KVM running exactly the module's kernel. Pass --allow-host-module to confirm, or use --topology nested");
        var kernel = KernelInfo.Discover(options.KernelRelease);
        var decision = AccelProbe.Decide(await AccelProbe.ProbeHostAsync(kernel.VmlinuzPath, ct), "runner");
        if (decision.Accel != Accel.Kvm)
            throw new LabStepException("topology", $"--topology host needs working KVM: {decision.Message}");
        throw new LabStepException("topology", "--topology host is not implemented yet (see vm-images/README.md); use --topology nested");
    }

    private async Task CollectConsolesBestEffortAsync()
    {
        if (_l1.Ssh is not null && !_consoles.ContainsKey("l2"))
        {
            try
            {
                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
                var l2 = await BootL2Step.ReadConsoleAsync(_l1.Ssh, cts.Token);
                if (l2.Length > 0) _consoles["l2"] = l2;
            }
            catch (Exception e) { progress.Report($"collect-consoles: could not read the L2 console: {e.Message}"); }
        }
        if (_l1.Vm is not null && !_consoles.ContainsKey("l1")) _consoles["l1"] = _l1.Vm.Console;
    }

    private string CurrentStep() => _clock.Current;

    private LabOutcome WriteReport(string? error,
        (SpreadVerdict Verdict, IReadOnlyList<QueueSample> Samples, MeasureSteps.NetperfOutcome Netperf, IReadOnlyList<string> Extra)? result)
    {
        var reasons = new List<string>();
        var verdict = "error";
        if (error is null && result is { } r)
        {
            reasons.AddRange(r.Verdict.Reasons);
            reasons.AddRange(r.Extra);
            foreach (var (name, log) in _consoles.Where(c => c.Key is "l1" or "l2"))
                if (ConsoleScanner.FindKernelFailure(log) is { } failure) reasons.Add($"{name} console: {failure}");
            verdict = reasons.Count == 0 && r.Verdict.Passed ? "pass" : "fail";
        }
        var queues = result is { } q
            ? q.Samples.Select((s, i) => new QueueReport(s.Queue, s.Interrupts, s.RxPackets, s.HostPackets, q.Verdict.Shares.ElementAtOrDefault(i))).ToList()
            : [];
        _env["host_kernel"] = Environment.OSVersion.VersionString;
        var report = new LabReport(verdict, options.Policy, options.Topology.ToString().ToLowerInvariant(), _accel, options.TestName,
            options.Flows, options.DurationSeconds, queues, result?.Netperf.Flows ?? [], result?.Verdict.Jain ?? 0, reasons,
            _clock.Timings, Math.Round(_clock.WallSeconds, 2), error, _env);
        // ReportWriter copies console logs from files: stage the captured texts in a temp dir.
        var staged = Directory.CreateTempSubdirectory("kmb-consoles-");
        try
        {
            var logs = new Dictionary<string, string>();
            foreach (var (name, text) in _consoles)
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
            if (error is null) { error = $"[write-report] {e.Message}"; verdict = "error"; }
        }
        finally
        {
            staged.Delete(recursive: true);
        }
        var code = verdict switch { "pass" => 0, "fail" => 1, _ => 2 };
        return new LabOutcome(code, verdict, error, report);
    }
}
