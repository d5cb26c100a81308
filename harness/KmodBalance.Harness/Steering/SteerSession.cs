using System.Globalization;
using System.Text;
using CliWrap;
using KmodBalance.Generator;

namespace KmodBalance.Harness.Steering;

/// <summary>
/// Runs <c>kmbsteer attach</c> on a device until cancelled or for the requested duration. Cancellation
/// reaches kmbsteer as SIGINT, so it clears the steering program and the device is stock again; only if
/// it has not ended 10 s later is it killed (then <c>kmb steer DEV --detach</c> clears what it left).
/// kmbsteer's own refusals (exit 2: kernel too old, capabilities, another steering program, not a
/// multi-queue tap) become this verb's, with its one line.
/// </summary>
public static class SteerSession
{
    private static readonly TimeSpan KillAfter = TimeSpan.FromSeconds(10);

    public static async Task<int> AttachAsync(string kmbsteer, SteerOptions options, SteerRunFiles files, IProgress<string> progress, CancellationToken ct)
    {
        string[] args =
        [
            "attach", options.Device,
            options.Tunables.PeriodMs.ToString(CultureInfo.InvariantCulture),
            options.Tunables.Threshold.ToString(CultureInfo.InvariantCulture),
            options.StatsFile ?? files.Stats, files.Tunables,
        ];
        files.WriteTunables(options.Tunables);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        if (options.Duration is { } duration)
            stop.CancelAfter(duration);
        using var kill = new CancellationTokenSource();
        await using var armKill = stop.Token.Register(() => kill.CancelAfter(KillAfter));
        try
        {
            return await RunAsync(kmbsteer, args, progress, kill.Token, stop.Token);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested && !kill.IsCancellationRequested)
        {
            return 0;  // the duration ended and kmbsteer detached; an interrupt stays one (exit 130)
        }
        finally
        {
            files.Remove();
        }
    }

    /// <summary>Clears any steering program of the device: what a killed kmbsteer left set.</summary>
    public static Task<int> DetachAsync(string kmbsteer, string device, IProgress<string> progress, CancellationToken ct) =>
        RunAsync(kmbsteer, ["detach", device], progress, ct, CancellationToken.None);

    /// <summary>kmbsteer bench: the program's instruction counts and nanoseconds per run (see kmbsteer.c's head).</summary>
    public static Task<int> BenchAsync(string kmbsteer, int repeat, IProgress<string> progress, CancellationToken ct) =>
        RunAsync(kmbsteer, ["bench", repeat.ToString(CultureInfo.InvariantCulture)], progress, ct, CancellationToken.None);

    private static async Task<int> RunAsync(string kmbsteer, string[] args, IProgress<string> progress,
        CancellationToken kill, CancellationToken stop)
    {
        var stderr = new StringBuilder();
        var result = await Cli.Wrap(kmbsteer).WithArguments(args)
            .WithStandardOutputPipe(PipeTarget.ToDelegate(progress.Report))
            .WithStandardErrorPipe(PipeTarget.ToDelegate(l => { lock (stderr) stderr.AppendLine(l); }))
            .WithValidation(CommandResultValidation.None)
            .ExecuteAsync(kill, stop);
        string problem;
        lock (stderr) problem = stderr.ToString().Trim();
        // kmbsteer ends a stop requested by SIGINT with exit 0 after clearing the program
        return result.ExitCode switch
        {
            0 => 0,
            2 => throw new KmbException(Strip(problem)),
            var code => throw new KmbException($"kmbsteer {args[0]} failed (exit {code}): {Strip(problem)}", 1),
        };
    }

    private static string Strip(string line) => line.StartsWith("kmbsteer: ", StringComparison.Ordinal) ? line["kmbsteer: ".Length..] : line;
}
