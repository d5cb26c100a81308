using System.Text;
using CliWrap;
using CliWrap.Buffered;
using KmodBalance.Harness.Infrastructure;

namespace KmodBalance.Harness.Processes;

public sealed record ProcessResult(int ExitCode, string StdOut, string StdErr);

/// <summary>Runs host processes through CliWrap: always async, always bounded, errors name the step.</summary>
public static class ProcessRunner
{
    /// <summary>Runs <paramref name="exe"/> to completion. Throws <see cref="LabStepException"/> on
    /// timeout, on a missing executable, and (when <paramref name="check"/>) on a non-zero exit.</summary>
    public static async Task<ProcessResult> RunAsync(string step, string exe, IEnumerable<string> args,
        TimeSpan timeout, CancellationToken ct, bool check = true, string? stdin = null, string? workDir = null)
    {
        var argList = args.ToList();
        using var timeoutCts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeoutCts.CancelAfter(timeout);
        var cmd = Cli.Wrap(exe).WithArguments(argList).WithValidation(CommandResultValidation.None);
        if (stdin is not null) cmd = cmd.WithStandardInputPipe(PipeSource.FromString(stdin));
        if (workDir is not null) cmd = cmd.WithWorkingDirectory(workDir);
        BufferedCommandResult r;
        try
        {
            r = await cmd.ExecuteBufferedAsync(Encoding.UTF8, timeoutCts.Token);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new LabStepException(step, $"`{Describe(exe, argList)}` timed out after {timeout.TotalSeconds:0} s");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new LabStepException(step, $"cannot run {exe}: {e.Message}{ToolCatalog.Hint(exe)}");
        }
        if (check && r.ExitCode != 0)
            throw new LabStepException(step,
                $"`{Describe(exe, argList)}` exited {r.ExitCode}: {Tail(r.StandardError.Length > 0 ? r.StandardError : r.StandardOutput)}");
        return new ProcessResult(r.ExitCode, r.StandardOutput, r.StandardError);
    }

    public static string Describe(string exe, IReadOnlyList<string> args) =>
        string.Join(' ', new[] { exe }.Concat(args.Select(a => a.Contains(' ') ? $"'{a}'" : a)));

    public static string Tail(string s, int max = 600)
    {
        s = s.Trim();
        return s.Length <= max ? s : "..." + s[^max..];
    }
}
