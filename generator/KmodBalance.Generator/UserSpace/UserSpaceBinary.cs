using CliWrap;
using CliWrap.Buffered;

namespace KmodBalance.Generator.UserSpace;

/// <summary>A compiled user-space driver (kmod/userspace/balance_driver.c with the core).</summary>
public sealed record UserSpaceBinary(string Path, UserSpaceFlavor Flavor)
{
    /// <summary>Runs the driver to completion (stress and bench modes, or a whole trace on stdin).</summary>
    /// <param name="wrapper">A program to run the driver under (valgrind and its arguments), or empty.</param>
    public async Task<UserSpaceRun> RunAsync(
        IReadOnlyList<string> args, string standardInput, TimeSpan timeout,
        IReadOnlyDictionary<string, string?>? environment = null,
        IReadOnlyList<string>? wrapper = null, CancellationToken ct = default)
    {
        var program = wrapper is { Count: > 0 } ? wrapper[0] : Path;
        IEnumerable<string> arguments = wrapper is { Count: > 0 } ? [.. wrapper.Skip(1), Path, .. args] : args;
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct);
        linked.CancelAfter(timeout);
        try
        {
            var result = await Cli.Wrap(program).WithArguments(arguments)
                .WithEnvironmentVariables(environment ?? new Dictionary<string, string?>())
                .WithStandardInputPipe(PipeSource.FromString(standardInput))
                .WithValidation(CommandResultValidation.None)
                .ExecuteBufferedAsync(linked.Token);
            return new UserSpaceRun(result.ExitCode, result.StandardOutput, result.StandardError);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new KmbException($"{program} {string.Join(' ', arguments)} did not finish within {timeout.TotalSeconds:0} s", 1);
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new KmbException($"cannot run {program}: {e.Message}", 1);
        }
    }

    /// <summary>Starts the driver in trace mode for many batches of commands.</summary>
    public TraceSession StartTraceSession() => TraceSession.Start(Path);
}
