using System.Diagnostics;
using System.Globalization;
using KmodBalance.Generator.Build;
using KmodBalance.Harness.Infrastructure;
using KmodBalance.Harness.Lab;
using KmodBalance.Harness.Measurement;
using KmodBalance.Harness.Reporting;
using KmodBalance.Harness.Ssh;
using KmodBalance.Harness.Steering;
using KmodBalance.Harness.Vm;

namespace KmodBalance.Harness.Check;

/// <summary>What `kmb lab check` was asked to do.</summary>
public sealed record CheckOptions
{
    public Policy Policy { get; init; } = Policy.Dynamic;
    public string? ModuleDir { get; init; }
    public string ReportDir { get; init; } = "out/check";
    /// <summary>Run only these scenarios (all of the policy's when empty); "stress" runs <see cref="Stress"/>.</summary>
    public IReadOnlyList<string> Scenarios { get; init; } = [];
    /// <summary>How hard `--scenario stress` pushes (the full set by default).</summary>
    public StressPlan Stress { get; init; } = new();
    /// <summary>`--backend`: the policy's patched module, or kmbsteer on the kernel's own tun.ko (dynamic only).</summary>
    public LabBackend Backend { get; init; } = LabBackend.Module;
    /// <summary>The state dir, the kernel L1 boots, vm-images/ and the tunables the policy's module is generated with
    /// (or kmbsteer attached with); a scenario that needs its own tunables sets them at run time and says so
    /// (<see cref="ScenarioTunables"/>).</summary>
    public LabEnvironment Lab { get; init; } = new();

    public IReadOnlyList<string> Validate()
    {
        var e = new List<string>();
        if (!PolicyNames.Patched.Contains(Policy)) e.Add($"--policy must be {PolicyNames.Listed(PolicyNames.Patched)}");
        else if (Scenarios.Except(CheckScenarios.For(Policy).Select(s => s.Name).Append(StressPlan.ScenarioName)).ToList() is { Count: > 0 } unknown)
            e.Add($"--scenario {string.Join(", ", unknown)}: the {Policy.Name()} check has {string.Join(", ", CheckScenarios.For(Policy).Select(s => s.Name))} and {StressPlan.ScenarioName}");
        if (string.IsNullOrWhiteSpace(ReportDir)) e.Add("--report must name a directory");
        if (ModuleDir is not null && string.IsNullOrWhiteSpace(ModuleDir)) e.Add("--module must name a directory");
        e.AddRange(LabBackends.Validate(Backend, [Policy], ModuleDir));
        if (Backend == LabBackend.Ebpf && Scenarios.Contains(StressPlan.ScenarioName))
            e.Add($"--scenario {StressPlan.ScenarioName} cannot run with --backend ebpf: it drives the module's own switches (balance_default, " +
                  "module parameters, rmmod) on the debug kernel; run it with --backend module");
        return e;
    }
}

public sealed record CheckOutcome(int ExitCode, CheckReport Report);

/// <summary>`kmb lab check`: boots L1 once with the policy's module and runs its scenarios there with
/// mqtap and udpflows (no guest), then judges each property exactly. Exit 0 all hold, 1 one failed,
/// 2 setup error or a property the run could not show.</summary>
public sealed partial class CheckRun(CheckOptions options, IProgress<string> progress)
{
    public const string Tap = "kmbq0";
    private readonly StepClock _clock = new(progress);
    private readonly L1Session.Started _l1 = new();
    private readonly Dictionary<string, string> _env = new();
    private readonly Dictionary<string, string> _files = new();
    private readonly List<ScenarioReport> _scenarios = [];
    private readonly List<PropertyVerdict> _properties = [];
    private string _accel = "unknown";

    public async Task<CheckOutcome> RunAsync(CancellationToken ct)
    {
        string? error = null;
        if (options.Validate() is { Count: > 0 } invalid)
            error = "[options] " + string.Join("; ", invalid);
        else
        {
            var cleanup = new CleanupRegistry(progress.Report);
            try
            {
                await RunScenariosAsync(cleanup, ct);
            }
            catch (LabStepException e) { error = e.Message; }
            catch (OperationCanceledException) { error = $"[{_clock.Current}] cancelled (Ctrl-C/SIGTERM or timeout)"; }
            catch (Exception e) { error = $"[{_clock.Current}] unexpected: {e}"; }
            finally
            {
                if (_l1.Vm is not null) _files["consoles/l1.log"] = _l1.Vm.Console;
                var sw = Stopwatch.StartNew();
                await cleanup.DisposeAsync();
                _clock.Record("cleanup", sw.Elapsed.TotalSeconds);
            }
        }
        if (_files.TryGetValue("consoles/l1.log", out var console))
        {
            var failure = ConsoleScanner.FindKernelFailure(console);
            _properties.Add(new PropertyVerdict("l1", CheckReport.ConsoleProperty, failure is null ? LabVerdicts.Pass : LabVerdicts.Fail,
                failure is null ? "no Oops, BUG, WARN in networking, lockup or RCU stall on L1's console" : "L1 console: " + failure.Split('\n')[0],
                failure?.Split('\n') ?? []));
        }
        _env["backend"] = LabBackends.Describe(options.Backend);
        var report = new CheckReport(CheckReport.Combine(_properties, error), options.Policy.Name(), _accel, _properties, _scenarios,
            _clock.Timings, Math.Round(_clock.WallSeconds, 2), error, _env)
        {
            Tunables = options.Lab.Tunables,
            Balancing = options.Backend == LabBackend.Ebpf
                ? $"on per tap: the kernel's own tun.ko is loaded (no balancer) and every scenario attaches kmbsteer to {Tap} once mqtap holds its queues " +
                  "(optin starts without it, attaches and ends it under traffic; single-queue asks and is refused)"
                : $"on per tap: the module is loaded with balance_default=0 and every scenario writes /sys/class/net/{Tap}/balance itself " +
                  "(optin starts off and switches it on and off under traffic)",
        };
        try
        {
            CheckReportWriter.Write(options.ReportDir, report, _files);
            progress.Report($"report written to {Path.GetFullPath(options.ReportDir)}");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            progress.Report($"[write-report] failed: {e.Message}");
            report = report with { Verdict = LabVerdicts.Error, Error = report.Error ?? $"[write-report] {e.Message}" };
        }
        return new CheckOutcome(report.ExitCode, report);
    }

    private async Task RunScenariosAsync(CleanupRegistry cleanup, CancellationToken ct)
    {
        var kernel = await LabPreparation.CheckToolsAsync(options.Lab.KernelRelease, _clock, ct, options.Lab.Kernel);
        _env["kernel"] = kernel.Release;
        var vmImages = options.Lab.ResolveVmImagesDir();
        var prepared = await LabPreparation.PreparePolicyAsync(options.Policy, options.ModuleDir,
            new LabModules(kernel, options.Lab.StateDir, options.Backend, options.Lab.Tunables), vmImages, _clock, progress, ct);
        _env["l1_image"] = prepared.Images.LabHost!.CacheKey[..16];
        _env["module"] = prepared.ModuleDir;
        _env["vermagic"] = await KbuildRunner.ModinfoAsync(Path.Combine(prepared.ModuleDir, "tun.ko"), "vermagic", ct);
        var accel = await LabPreparation.ProbeRunnerAccelAsync(kernel, _clock, progress, ct);
        _accel = "l1=" + accel.Accel.ToString().ToLowerInvariant();
        if (accel.Accel == Accel.Tcg) _env["tcg"] = TcgProfile.ForKernel(kernel.Release).Why;

        var session = await L1Session.StartAsync(prepared, accel.Accel, kernel, options.Lab.StateDir, _clock, cleanup, _l1, progress, ct);
        _env["tun"] = session.TunStatus;
        _env["debug"] = DebugOptionsOf(kernel.HeadersDir);
        foreach (var scenario in CheckScenarios.For(options.Policy).Where(s => options.Scenarios.Count == 0 || options.Scenarios.Contains(s.Name)))
            await RunScenarioAsync(session.Ssh, scenario with { Backend = options.Backend }, ct);
        if (options.Scenarios.Contains(StressPlan.ScenarioName))
            await RunStressAsync(session.Ssh, options.Stress, ct);
    }

    private async Task RunScenarioAsync(LabSshClient l1, CheckScenario s, CancellationToken ct)
    {
        var tunables = ScenarioTunables.Describe(s, options.Lab.Tunables);
        if (ScenarioTunables.Overrides(s, options.Lab.Tunables)) progress.Report($"  {s.Name}: tunables {tunables}");
        var sw = Stopwatch.StartNew();
        var raw = await _clock.Step($"scenario {s.Name}", async () =>
        {
            var r = await l1.RunAsync($"scenario {s.Name}", Command(s), TimeSpan.FromSeconds(s.TrafficSeconds + 60), ct, check: false);
            if (r.ExitCode != 0)
                throw new LabStepException($"scenario {s.Name}", $"check-flows.sh exited {r.ExitCode}: {r.StdErr.Trim()}");
            return r.StdOut;
        }, ct);
        _files[$"raw/{s.Name}.txt"] = raw;
        ScenarioObservation? observation = null;
        string? problem = null;
        CheckFlowsOutput? output = null;
        try
        {
            output = CheckFlowsOutputParser.Parse(raw);
            (observation, problem) = Observe(s, output);
        }
        catch (FormatException e)
        {
            problem = $"cannot read the scenario's output: {e.Message}";
        }
        if (problem is null && observation is not null)
        {
            var verdicts = ScenarioAnalyzer.Judge(observation);
            _properties.AddRange(verdicts);
            foreach (var v in verdicts) progress.Report($"  {s.Name}: {v.Property}: {v.Verdict.ToUpperInvariant()} - {v.Message}");
        }
        else
        {
            _properties.AddRange(s.Properties.Select(p => new PropertyVerdict(s.Name, p, LabVerdicts.Error, problem!, [])));
            progress.Report($"  {s.Name}: ERROR - {problem}");
        }
        _scenarios.Add(new ScenarioReport(s.Name, s.Description, s.Queues, s.PeriodMs, s.Threshold, s.Flows, s.Events,
            Math.Round(sw.Elapsed.TotalSeconds, 2), observation?.Sent, observation?.Seen, output?.Dmesg, problem)
        {
            Balancing = Balancing(s), TunablesSet = tunables, DebugfsBefore = output?.DebugfsBefore, DebugfsAfter = output?.DebugfsAfter, Netconsole = output?.Netconsole,
        });
    }

    /// <summary>Pure: what the judge reads of one scenario's output, and why the run cannot be judged (null: it can).
    /// The module's tunables are its parameters; the eBPF back end's are kmbsteer's, and its samples and switches
    /// come from kmbsteer's history (<see cref="SteerObservation"/>).</summary>
    /// <exception cref="FormatException">Output that is not the tools'.</exception>
    public static (ScenarioObservation Observation, string? Problem) Observe(CheckScenario s, CheckFlowsOutput output)
    {
        ArgumentNullException.ThrowIfNull(s);
        ArgumentNullException.ThrowIfNull(output);
        string? problem = null;
        if (output.MqtapExitCode != 0) problem = $"mqtap exited {output.MqtapExitCode}: {output.MqtapStderr.Trim()}";
        var seen = ToolOutputParser.ParseMqtap(output.Mqtap);
        SteerHistory? history = null;
        if (s.Backend == LabBackend.Ebpf)
        {
            string? steerProblem;
            (history, steerProblem) = SteerProblem(s, output);
            problem ??= steerProblem;
            if (history is not null && output.Steer is { } run) seen = SteerObservation.Apply(seen, history, run, s);
        }
        var observation = new ScenarioObservation(s, ToolOutputParser.ParseUdpflows(output.Udpflows), seen, output.Dmesg)
        {
            DebugfsBefore = output.DebugfsBefore, DebugfsAfter = output.DebugfsAfter, Netconsole = output.Netconsole,
            BalanceDefaultSet = output.BalanceDefaultSet, Steer = output.Steer, SteerHistory = history,
        };
        if (s.Backend == LabBackend.Module)
        {
            if (output.BalanceDefault is null) problem = "the loaded tun has no balance_default parameter (not a module with the opt-in balancer)";
            else if (output.BalanceDefault != 0) problem = $"balance_default is {output.BalanceDefault}: the check turns balancing on per tap itself";
            if (s.PeriodMs is { } p && output.PeriodMs != p) problem = $"balance_period_ms is {output.PeriodMs?.ToString(CultureInfo.InvariantCulture) ?? "missing"}, not {p}";
            if (s.Threshold is { } t && output.Threshold != t) problem = $"balance_threshold is {output.Threshold?.ToString(CultureInfo.InvariantCulture) ?? "missing"}, not {t}";
        }
        return (observation, problem);
    }

    /// <summary>--backend ebpf: kmbsteer's history of the scenario, or why the run cannot be judged: the tun must be
    /// the kernel's own (no balance_default), kmbsteer must have run with the scenario's tunables (a single-queue
    /// tap is the exception: it must refuse, which its judge reads).</summary>
    public static (SteerHistory? History, string? Problem) SteerProblem(CheckScenario s, CheckFlowsOutput output)
    {
        if (output.BalanceDefault is not null)
            return (null, "the loaded tun has a balance_default parameter: --backend ebpf runs on the kernel's own tun.ko");
        if (output.Steer is not { } run)
            return (null, "check-flows.sh printed no kmbsteer section (KMB_STEER not set?)");
        SteerHistory history;
        try
        {
            history = SteerHistory.Parse(run.History, Tap);
        }
        catch (FormatException e)
        {
            return (null, "kmbsteer's history: " + e.Message);
        }
        if (s.SingleQueue) return (history, null);
        if (run.StartExitCode != 0 || !history.Attached)
            return (history, $"kmbsteer did not attach to {Tap} (steer.sh exit {run.StartExitCode?.ToString(CultureInfo.InvariantCulture) ?? "-"}): " +
                $"{run.Start.Trim()} {run.Log.Trim()}".Trim());
        if (s.PeriodMs is { } p && history.PeriodMs != p)
            return (history, $"kmbsteer ran with period {history.PeriodMs?.ToString(CultureInfo.InvariantCulture) ?? "-"} ms, not {p}");
        if (s.Threshold is { } t && history.Threshold != t)
            return (history, $"kmbsteer ran with threshold {history.Threshold?.ToString(CultureInfo.InvariantCulture) ?? "-"}, not {t}");
        if (history.DetachEndNs is null || history.DetachErrno != 0)
            return (history, $"kmbsteer did not clear its program at the end (detach errno {history.DetachErrno?.ToString(CultureInfo.InvariantCulture) ?? "none"}; " +
                $"end {history.EndReason ?? "not recorded"}): {run.Stop.Trim()}");
        return (history, null);
    }

    /// <summary>How the scenario turned balancing on, for the report ("balancing: on (how)").</summary>
    public static string Balancing(CheckScenario s) =>
        s.Backend == LabBackend.Ebpf
            ? s.SingleQueue
                ? $"requested on a single-queue tap: check-flows.sh ran kmbsteer on {Tap} (refused: nothing to balance)"
                : s.Balance
                ? $"on (dynamic, eBPF): kmbsteer attached to {Tap} once mqtap held its {s.Queues} queues, before the flows"
                : "off (stock automq) at first; kmbsteer attached at about " + string.Join(" and ended at about ", s.Events.Where(e => e.Op == QueueOp.Balance)
                    .Select(e => $"{e.AtMs} ms")) + " after udpflows started (the judge takes the times kmbsteer recorded)"
        : s.SingleQueue
            ? $"requested on a single-queue tap: balance_default={s.BalanceDefault} while it was created, then mqtap wrote 1 to /sys/class/net/{Tap}/balance " +
              "(refused: nothing to balance)" + string.Concat(s.Switches.Select(e => $", at {e.AtMs} ms {e.Slot}"))
            : s.Balance
            ? $"on ({s.Policy.Name()}): mqtap wrote 1 to /sys/class/net/{Tap}/balance when it created the {(s.SingleQueue ? "single-queue" : $"{s.Queues}-queue")} tap"
            : $"off (stock automq) at first; " + string.Join(", ", s.Events.Where(e => e.Op == QueueOp.Balance)
                .Select(e => $"{(e.Slot == 1 ? "on" : "off")} at {e.AtMs} ms")) + $" (mqtap writes /sys/class/net/{Tap}/balance)";

    /// <summary>The shell command that runs one scenario in L1.</summary>
    /// <remarks>--backend ebpf sets no module parameter (the kernel's own tun has none): kmbsteer gets the tunables (KMB_STEER).</remarks>
    public static string Command(CheckScenario s) =>
        string.Create(CultureInfo.InvariantCulture,
            $"{string.Join(' ', s.Environment.OrderBy(e => e.Key, StringComparer.Ordinal).Select(e => $"{e.Key}='{e.Value}'"))} " +
            $"/opt/kmb/check-flows.sh {Tap} {(s.Backend == LabBackend.Ebpf ? "-" : s.PeriodMs?.ToString(CultureInfo.InvariantCulture) ?? "-")} " +
            $"{(s.Backend == LabBackend.Ebpf ? "-" : s.Threshold?.ToString(CultureInfo.InvariantCulture) ?? "-")} '{s.MqtapOptions}' {string.Join(' ', s.Flows.Select(f => f.Spec))}");
}
