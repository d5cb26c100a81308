using System.Diagnostics;
using KmodBalance.Harness.Infrastructure;
using KmodBalance.Harness.Reporting;

namespace KmodBalance.Harness.Lab;

/// <summary>Runs named steps: prints start and wall time, records <see cref="StepTiming"/>s, and
/// wraps unexpected exceptions so every error names its step.</summary>
public sealed class StepClock(IProgress<string> progress)
{
    private readonly List<StepTiming> _timings = [];
    private readonly Stopwatch _wall = Stopwatch.StartNew();
    public IReadOnlyList<StepTiming> Timings => _timings;
    public double WallSeconds => _wall.Elapsed.TotalSeconds;
    /// <summary>The step running now (or the last one started).</summary>
    public string Current { get; private set; } = "start";

    public async Task<T> Step<T>(string name, Func<Task<T>> body, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        Current = name;
        progress.Report($"[{name}] ...");
        var sw = Stopwatch.StartNew();
        try
        {
            var r = await body();
            _timings.Add(new StepTiming(name, Math.Round(sw.Elapsed.TotalSeconds, 2)));
            progress.Report($"[{name}] done in {sw.Elapsed.TotalSeconds:0.0} s");
            return r;
        }
        catch (Exception e)
        {
            _timings.Add(new StepTiming(name + " (failed)", Math.Round(sw.Elapsed.TotalSeconds, 2)));
            if (e is LabStepException or OperationCanceledException) throw;
            throw new LabStepException(name, e.Message, e);
        }
    }

    /// <summary>A step that boots a VM: a <see cref="BootFailedException"/> (the emulator's fault, nothing
    /// under test had run) is attempted again, up to <paramref name="attempts"/> times. Each failed attempt
    /// stays in <see cref="Timings"/> with its error, so report.json, summary.md and the console show it;
    /// any other failure, and the last attempt's, is the step's.</summary>
    public async Task<T> StepWithRetry<T>(string name, int attempts, Func<Task<T>> body, CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await Step(name, body, ct);
            }
            catch (BootFailedException e) when (attempt < attempts && !ct.IsCancellationRequested)
            {
                _timings[^1] = _timings[^1] with { Step = $"{name} (attempt {attempt} failed, retried)", Error = e.Detail };
                progress.Report($"RETRIED [{name}] attempt {attempt} of {attempts} failed, booting again: {e.Detail}");
            }
        }
    }

    /// <summary>An attempt that failed and is made again: kept with its error, and a RETRIED line on the console.</summary>
    public void RecordRetried(string name, double seconds, string error)
    {
        _timings.Add(new StepTiming($"{name} (failed, retried)", Math.Round(seconds, 2), error));
        progress.Report($"RETRIED [{name}] failed, booting again: {error}");
    }

    public void Record(string name, double seconds)
    {
        _timings.Add(new StepTiming(name, Math.Round(seconds, 2)));
        progress.Report($"[{name}] done in {seconds:0.0} s");
    }

    public Task Step(string name, Func<Task> body, CancellationToken ct) => Step(name, async () => { await body(); return true; }, ct);
}
