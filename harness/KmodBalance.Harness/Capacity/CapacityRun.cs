using System.Diagnostics;
using System.Globalization;
using KmodBalance.Harness.Check;
using KmodBalance.Harness.Compare;
using KmodBalance.Harness.Infrastructure;
using KmodBalance.Harness.Lab;
using KmodBalance.Harness.Lab.Steps;
using KmodBalance.Harness.Measurement;
using KmodBalance.Harness.Reporting;
using KmodBalance.Harness.Ssh;

namespace KmodBalance.Harness.Capacity;

public sealed record CapacityOutcome(int ExitCode, CapacityReport? Report, string? Error);

/// <summary>
/// `kmb lab capacity`: the thesis's throughput experiment with the bottleneck made explicit. One L1 boot
/// holds every policy's module; the interleaved schedule loads the trial's policy (rmmod, insmod with
/// balance_default=1 where the module has it, as `lab run` does) and runs check-flows.sh with mqtap reading
/// every queue at a fixed service rate and udpflows sending paced flows from fresh source ports. A trial
/// that fails is recorded as an error, never retried. Exit 0 every trial measured, 1 some trial could not
/// be measured, 2 setup error, a kernel failure on L1's console or cancelled.
/// </summary>
public sealed class CapacityRun(CapacityOptions options, IProgress<string> progress)
{
    private const string ModulesDir = "/opt/kmb/mods";
    private readonly StepClock _clock = new(progress);
    private readonly L1Session.Started _l1 = new();
    private readonly List<CapacityTrial> _trials = [];
    private readonly Dictionary<string, string> _files = new();
    private readonly Dictionary<string, string> _env = new();

    public async Task<CapacityOutcome> RunAsync(CancellationToken ct)
    {
        if (options.Validate() is { Count: > 0 } invalid)
            return new CapacityOutcome(ExitCodes.BadInputOrSetup, null, "[options] " + string.Join("; ", invalid));

        string? error = null;
        var cleanup = new CleanupRegistry(progress.Report);
        try
        {
            await RunTrialsAsync(cleanup, ct);
        }
        catch (LabStepException e) { error = e.Message; }
        catch (OperationCanceledException) { error = $"[{_clock.Current}] cancelled (Ctrl-C/SIGTERM or timeout)"; }
        catch (Exception e) { error = $"[{_clock.Current}] unexpected: {e}"; }
        finally
        {
            if (_l1.Vm is not null) _files[$"{CapacityReportWriter.ConsolesDir}/l1.log"] = _l1.Vm.Console;
            var sw = Stopwatch.StartNew();
            await cleanup.DisposeAsync();
            _clock.Record("cleanup", sw.Elapsed.TotalSeconds);
        }
        if (_l1.Vm is not null && ConsoleScanner.FindKernelFailure(_l1.Vm.Console) is { } failure)
            error ??= "L1 console: " + failure.Split('\n')[0];

        var report = BuildReport(error);
        try
        {
            await CapacityReportWriter.WriteAsync(options.ReportDir, report, _files);
            progress.Report($"report written to {Path.GetFullPath(options.ReportDir)}");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return new CapacityOutcome(ExitCodes.BadInputOrSetup, report, error ?? $"[write-report] {e.Message}");
        }
        return new CapacityOutcome(report.ExitCode, report, error);
    }

    private async Task RunTrialsAsync(CleanupRegistry cleanup, CancellationToken ct)
    {
        var kernel = await LabPreparation.CheckToolsAsync(options.Lab.KernelRelease, _clock, ct, options.Lab.Kernel);
        _env["kernel"] = kernel.Release;
        var vmImages = options.Lab.ResolveVmImagesDir();
        var prepared = new Dictionary<Policy, PreparedPolicy>();
        var modules = new LabModules(kernel, options.Lab.StateDir, LabBackend.Module, options.Lab.Tunables);
        foreach (var policy in options.Policies)
            prepared[policy] = await LabPreparation.PreparePolicyAsync(policy, null, modules, vmImages, _clock, progress, ct);
        var accel = await LabPreparation.ProbeRunnerAccelAsync(kernel, _clock, progress, ct);
        _env["accel"] = "l1=" + accel.Accel.ToString().ToLowerInvariant();

        // L1 boots with the first policy's image (its tun.ko is loaded); the others' modules are copied in.
        var first = prepared[options.Policies[0]];
        _env["l1_image"] = first.Images.LabHost!.CacheKey[..16];
        var session = await L1Session.StartAsync(first, accel.Accel, kernel, options.Lab.StateDir, _clock, cleanup, _l1, progress, ct,
            balanceDefault: true);
        var loaded = first.Policy;
        _env[$"tun_{loaded.Name()}"] = session.TunStatus;
        await _clock.Step("copy-modules", async () =>
        {
            await session.Ssh.RunAsync("copy-modules", $"mkdir -p {ModulesDir}", TimeSpan.FromSeconds(20), ct);
            foreach (var p in prepared.Values)
                await session.Ssh.UploadAsync("copy-modules", Path.Combine(p.ModuleDir, "tun.ko"), $"{ModulesDir}/{p.Policy.Name()}.ko", TimeSpan.FromSeconds(120), ct);
        }, ct);

        var schedule = TrialSchedule.Build(options.Policies, options.Trials);
        foreach (var slot in schedule)
        {
            ct.ThrowIfCancellationRequested();
            if (loaded != slot.Policy)
            {
                var status = await _clock.Step($"load-module {slot.Policy.Name()}", () => SwapModuleAsync(session.Ssh, slot.Policy, ct), ct);
                _env[$"tun_{slot.Policy.Name()}"] = status;
                loaded = slot.Policy;
            }
            var result = await RunTrialAsync(session.Ssh, slot, ct);
            _trials.Add(result);
            progress.Report($"=== trial {slot.Slot}/{schedule.Count}: {Describe(result)}");
        }
    }

    /// <summary>Unloads tun (the previous trial's tap is gone with mqtap) and loads the policy's module with
    /// load-tun.sh, which turns balancing on (balance_default=1) where the module has a balancer.</summary>
    private static async Task<string> SwapModuleAsync(LabSshClient l1, Policy policy, CancellationToken ct)
    {
        await l1.RunAsync("load-module", $"rmmod tun && cp {ModulesDir}/{policy.Name()}.ko /opt/kmb/tun.ko", TimeSpan.FromSeconds(60), ct);
        var (status, balance) = await LabHostSteps.LoadModuleAsync(l1, balanceDefault: true, ct);
        return status + (balance is { } b ? $" balance_default={b}" : " (no balancer)");
    }

    private async Task<CapacityTrial> RunTrialAsync(LabSshClient l1, ScheduledTrial slot, CancellationToken ct)
    {
        var sw = Stopwatch.StartNew();
        var ports = Ports(options.Seed, slot.Slot, options.Flows);
        var r = await _clock.Step($"trial {slot.Slot} {slot.Policy.Name()} #{slot.Trial}",
            () => l1.RunAsync($"trial {slot.Slot}", Command(options, ports), TimeSpan.FromSeconds(options.DurationSeconds + 60), ct, check: false), ct);
        _files[$"{CapacityReportWriter.RawDir}/{slot.Slot:D3}-{slot.Policy.Name()}-{slot.Trial}.txt"] = r.StdOut + (r.StdErr.Length > 0 ? "### stderr\n" + r.StdErr : "");
        if (r.ExitCode != 0)
            return CapacityTrial.Failed(slot, ports, $"check-flows.sh exited {r.ExitCode}: {r.StdErr.Trim()}", sw.Elapsed.TotalSeconds);
        try
        {
            return CapacityTrial.From(slot, ports, r.StdOut, options, sw.Elapsed.TotalSeconds);
        }
        catch (FormatException e)
        {
            return CapacityTrial.Failed(slot, ports, $"cannot read the trial's output: {e.Message}", sw.Elapsed.TotalSeconds);
        }
    }

    /// <summary>Pure: <paramref name="flows"/> distinct source ports for the trial in run position
    /// <paramref name="slot"/>, the same for the same seed. Fresh ports per trial vary where hash places
    /// the flows, as fresh boots did in the thesis.</summary>
    public static IReadOnlyList<int> Ports(int seed, int slot, int flows)
    {
        var random = new Random(unchecked(seed * 7919 + slot));
        var ports = new List<int>(flows);
        while (ports.Count < flows)
        {
            var p = random.Next(41000, 61000);
            if (!ports.Contains(p)) ports.Add(p);
        }
        return ports;
    }

    /// <summary>Pure: the check-flows.sh command line of one trial. mqtap reads each queue at the service rate
    /// until the window (the flows' duration plus <see cref="CapacityOptions.GraceMs"/>) closes, sampling the
    /// balance attribute and the balancer's statistics once a second; the flows all start at 0.</summary>
    public static string Command(CapacityOptions options, IReadOnlyList<int> ports)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(ports);
        var windowMs = options.DurationSeconds * 1000 + CapacityOptions.GraceMs;
        return string.Create(CultureInfo.InvariantCulture,
            $"KMB_DMESG=0 KMB_MAX_S={options.DurationSeconds + 10} KMB_UDPFLOWS_OPTS='-s {options.PayloadBytes}' " +
            $"/opt/kmb/check-flows.sh {CheckRun.Tap} - - '-q {options.Queues} -R {options.ServicePps} -w {windowMs} -i {windowMs} -S 1000' " +
            $"{string.Join(' ', ports.Select(p => $"{p}:{options.FlowPps}:0:{options.DatagramsPerFlow}"))}");
    }

    private static string Describe(CapacityTrial t) => t.Measured
        ? string.Create(CultureInfo.InvariantCulture,
            $"{t.Policy} #{t.Trial}: {t.ThroughputMbps:0.000} Mbit/s, delivered {t.DeliveredFraction:P1}, reordered {t.Reordered}, " +
            $"migrations {t.Migrations}, {(t.PauseDrops is { } d ? $"{d} dropped by pauses, " : "")}shares {string.Join("/", t.QueueShares.Select(s => (s * 100).ToString("0", CultureInfo.InvariantCulture)))}, {t.Balancing}")
        : $"{t.Policy} #{t.Trial}: FAILED: {t.Error}";

    private CapacityReport BuildReport(string? error)
    {
        var (summaries, ratios) = CapacityReport.Summarise(PolicyNames.NamesOf(options.Policies), _trials);
        var verdict = LabVerdicts.OfTrials(error is not null, _trials.Select(t => t.Measured).ToList());
        return new CapacityReport(verdict, PolicyNames.NamesOf(options.Policies), options.Trials, options.DurationSeconds, options.Flows, options.Queues,
            options.FlowPps, options.ServicePps, options.PayloadBytes, Math.Round(options.OfferedMbps, 3), options.Seed,
            summaries, ratios, _trials, _clock.Timings, Math.Round(_clock.WallSeconds, 1), error, _env) { Tunables = options.Lab.Tunables };
    }
}
