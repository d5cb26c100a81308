using System.CommandLine;
using System.Text.RegularExpressions;
using KmodBalance.Generator;
using KmodBalance.Harness.Reporting;

namespace KmodBalance.Cli;

/// <summary>
/// The error rule of every verb: bad usage or input exits 2 with one line (System.CommandLine's
/// own parse errors included), a failed step exits with its <see cref="KmbException.ExitCode"/>,
/// an interrupt 130, and anything unexpected prints one line naming a file that holds the full
/// trace, never the trace itself.
/// </summary>
internal static partial class CommandRunner
{
    public const int BadInput = ExitCodes.BadInputOrSetup;
    public const int Unexpected = ExitCodes.Failed;
    public const int Interrupted = 130;

    /// <summary>A lab verb's exit: its verdict's code (<see cref="ExitCodes.ForVerdict"/>), unless the user
    /// interrupted it, which wins even though the verb still wrote its report (verdict error).</summary>
    public static int VerdictOrInterrupted(int verdictExitCode, CancellationToken ct) =>
        ct.IsCancellationRequested ? Interrupted : verdictExitCode;

    /// <summary>Parses and runs a command line.</summary>
    public static async Task<int> RunAsync(RootCommand root, string[] args)
    {
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            var verb = string.Join(' ', VerbPath(parse.CommandResult));
            var problems = string.Join("; ", parse.Errors.Select(e => Whitespace().Replace(e.Message, " ").Trim()));
            await Console.Error.WriteLineAsync($"{verb}: {problems} (see `{verb} --help`)");
            return BadInput;
        }
        // One handler for SIGINT, SIGTERM and SIGHUP for the whole process. System.CommandLine's own is
        // off (ProcessTerminationTimeout null): it gives a verb 2 s after a signal, then returns 130 and
        // the process exits under the verb's feet, so a lab's cleanup (netns, run dir) never ran.
        using var signals = new SignalCancellation(CancellationToken.None, new StderrProgress());
        // Default exception handler off: it prints the stack trace and exits 1.
        var invocation = new InvocationConfiguration { EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = null };
        return await RunAsync(() => parse.InvokeAsync(invocation, signals.Token));
    }

    /// <summary>Runs one verb's body under the error rule.</summary>
    public static async Task<int> RunAsync(Func<Task<int>> verb)
    {
        try
        {
            return await verb();
        }
        catch (KmbException e)
        {
            await Console.Error.WriteLineAsync($"kmb: {e.Message}");
            return e.ExitCode;
        }
        catch (OperationCanceledException)
        {
            await Console.Error.WriteLineAsync("kmb: interrupted");
            return Interrupted;
        }
        catch (Exception e)
        {
            var trace = CrashReport.Write(e);
            await Console.Error.WriteLineAsync($"kmb: unexpected error: {Whitespace().Replace(e.Message, " ").Trim()} " +
                $"({e.GetType().Name}; full trace in {trace}; please report it)");
            return Unexpected;
        }
    }

    private sealed class StderrProgress : IProgress<string>
    {
        public void Report(string value) => Console.Error.WriteLine($"kmb: {value}");
    }

    private static IEnumerable<string> VerbPath(System.CommandLine.Parsing.CommandResult? result)
    {
        var names = new Stack<string>();
        for (var r = result; r is not null; r = r.Parent as System.CommandLine.Parsing.CommandResult)
            names.Push(r.Parent is null ? "kmb" : r.Command.Name);
        return names;
    }

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();
}
