using System.Diagnostics;
using System.Text;

namespace KmodBalance.Generator.UserSpace;

/// <summary>
/// The driver in trace mode, kept running across batches so that thousands of short
/// traces cost one process. A batch is commands (see balance_driver.c) and ends with
/// "e", on which the driver answers "." and flushes. Not thread-safe: one batch at a time.
/// </summary>
public sealed class TraceSession : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _stderr = new();

    private TraceSession(Process process)
    {
        _process = process;
    }

    internal static TraceSession Start(string driver)
    {
        var info = new ProcessStartInfo(driver)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        // a sanitizer report is the failure we are looking for: keep it whole, no symbolizer pauses
        info.Environment["ASAN_OPTIONS"] = "abort_on_error=0:detect_leaks=1";
        info.Environment["UBSAN_OPTIONS"] = "print_stacktrace=1";
        var process = Process.Start(info) ?? throw new KmbException($"cannot start {driver}", 1);
        var session = new TraceSession(process);
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
                lock (session._stderr)
                    session._stderr.AppendLine(e.Data);
        };
        process.BeginErrorReadLine();
        return session;
    }

    /// <summary>Whether the driver is still running (it exits on a sanitizer report).</summary>
    public bool IsAlive => !_process.HasExited;

    /// <summary>
    /// <see cref="RunBatchAsync"/> for synchronous callers (property-test assertions),
    /// so they need not block on a task.
    /// </summary>
    public IReadOnlyList<string> RunBatch(string commands)
    {
        // write from another thread: a long batch fills both pipes otherwise, the
        // driver blocked on stdout while we are blocked on its stdin
        var writer = Task.Run(() =>
        {
            try
            {
                _process.StandardInput.Write(commands);
                if (commands.Length > 0 && commands[^1] != '\n')
                    _process.StandardInput.Write('\n');
                _process.StandardInput.Write("e\n");
                _process.StandardInput.Flush();
                return true;
            }
            catch (IOException)
            {
                return false;
            }
        });

        var lines = new List<string>();
        while (true)
        {
            var line = _process.StandardOutput.ReadLine();
            if (line is null)
            {
                writer.Wait();
                throw Crash();
            }
            if (line == ".")
            {
                if (!writer.Result)
                    throw Crash();
                return lines;
            }
            lines.Add(line);
        }
    }

    /// <summary>Sends <paramref name="commands"/> and "e"; returns the lines the driver printed before ".".</summary>
    /// <exception cref="UserSpaceCrashException">The driver exited: a sanitizer report or a parse error, in the message.</exception>
    public async Task<IReadOnlyList<string>> RunBatchAsync(string commands, CancellationToken ct = default)
    {
        var writer = WriteBatchAsync(commands, ct);
        var lines = new List<string>();
        while (true)
        {
            var line = await _process.StandardOutput.ReadLineAsync(ct);
            if (line is null)
            {
                await writer;
                throw await CrashAsync();
            }
            if (line == ".")
            {
                if (!await writer)
                    throw await CrashAsync();
                return lines;
            }
            lines.Add(line);
        }
    }

    private async Task<bool> WriteBatchAsync(string commands, CancellationToken ct)
    {
        try
        {
            await _process.StandardInput.WriteAsync(commands.AsMemory(), ct);
            if (commands.Length > 0 && commands[^1] != '\n')
                await _process.StandardInput.WriteAsync('\n');
            await _process.StandardInput.WriteAsync("e\n".AsMemory(), ct);
            await _process.StandardInput.FlushAsync(ct);
            return true;
        }
        catch (IOException)
        {
            return false;
        }
    }

    private UserSpaceCrashException Crash()
    {
        if (!_process.WaitForExit(TimeSpan.FromSeconds(10)))
            _process.Kill();
        _process.WaitForExit();
        return CrashReport();
    }

    private UserSpaceCrashException CrashReport()
    {
        string stderr;
        lock (_stderr)
            stderr = _stderr.ToString();
        return new UserSpaceCrashException(_process.HasExited ? _process.ExitCode : -1, stderr);
    }

    private async Task<UserSpaceCrashException> CrashAsync()
    {
        using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            await _process.WaitForExitAsync(grace.Token);
        }
        catch (OperationCanceledException)
        {
            _process.Kill();
            await _process.WaitForExitAsync(CancellationToken.None);
        }
        return CrashReport();
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.StandardInput.Write("q\n");
                _process.StandardInput.Close();
                if (!_process.WaitForExit(TimeSpan.FromSeconds(10)))
                    _process.Kill();
            }
        }
        catch (IOException)
        {
            // it died on its own
        }
        _process.Dispose();
    }
}

/// <summary>The user-space driver stopped in the middle of a batch.</summary>
public sealed class UserSpaceCrashException(int exitCode, string standardError)
    : Exception($"the user-space balancer driver exited with {exitCode} mid-batch; its stderr:\n{standardError.TrimEnd()}")
{
    public int ExitCode { get; } = exitCode;
    public string StandardError { get; } = standardError;
}
