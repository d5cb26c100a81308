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

    /// <summary>Sends <paramref name="commands"/> and "e"; returns the lines the driver printed before ".".</summary>
    /// <exception cref="UserSpaceCrashException">The driver exited: a sanitizer report or a parse error, in the message.</exception>
    public IReadOnlyList<string> RunBatch(string commands)
    {
        // The driver answers while it reads: a batch larger than a pipe (64 KiB) fills
        // its stdout while we still write its stdin, and a writer that waits for the
        // reader deadlocks with it (what hung the suite: both sides in pipe_write).
        // So this thread reads and a thread of the session's own writes. Not a pool
        // thread: property tests block pool threads, and a queued writer could wait
        // behind them.
        bool written = false;
        var writer = new Thread(() => written = Write(commands))
        {
            IsBackground = true,
            Name = "balance_driver stdin",
        };
        writer.Start();

        var lines = new List<string>();
        while (true)
        {
            var line = _process.StandardOutput.ReadLine();
            if (line is null)
            {
                writer.Join();
                throw Crash();
            }
            if (line == ".")
            {
                writer.Join();
                if (!written)
                    throw Crash();
                return lines;
            }
            lines.Add(line);
        }
    }

    private bool Write(string commands)
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
            return false; // the driver exited; the reader reports why
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
