using System.Text;
using CliWrap;
using KmodBalance.Harness.Infrastructure;

namespace KmodBalance.Harness.Vm;

/// <summary>A QEMU process on the runner (optionally inside a netns), serial console on stdio,
/// captured to a file and in memory. Disposing kills it.</summary>
public sealed class VmProcess : IAsyncDisposable
{
    private readonly StringBuilder _console = new();
    private readonly StringBuilder _stderr = new();
    private readonly object _lock = new();
    private readonly CancellationTokenSource _kill = new();
    private readonly StreamWriter _log;
    private readonly CommandTask<CommandResult> _task;
    private int _disposed;
    private event Action<string>? LineReceived;

    public string Name { get; }
    public int ProcessId => _task.ProcessId;
    public string ConsoleLogPath { get; }
    public bool HasExited => _task.Task.IsCompleted;

    private VmProcess(string name, string consoleLogPath, Command command)
    {
        Name = name;
        ConsoleLogPath = consoleLogPath;
        _log = new StreamWriter(consoleLogPath, append: false) { AutoFlush = true };
        _task = command
            .WithStandardOutputPipe(PipeTarget.ToDelegate(OnLine))
            .WithStandardErrorPipe(PipeTarget.ToDelegate(l => { lock (_lock) _stderr.AppendLine(l); }))
            .WithValidation(CommandResultValidation.None)
            .ExecuteAsync(CancellationToken.None, _kill.Token);
    }

    /// <summary>Starts QEMU; with <paramref name="netns"/> it runs as `ip netns exec NS qemu ...`.</summary>
    public static VmProcess Start(QemuCommand qemu, string? netns, string consoleLogPath)
    {
        var args = qemu.Arguments();
        var cmd = netns is null
            ? Cli.Wrap(qemu.Binary).WithArguments(args)
            : Cli.Wrap("ip").WithArguments(new[] { "netns", "exec", netns, qemu.Binary }.Concat(args));
        return new VmProcess(qemu.Name, consoleLogPath, cmd);
    }

    private void OnLine(string line)
    {
        var clean = line.TrimEnd('\r');
        lock (_lock) _console.AppendLine(clean);
        lock (_log) _log.WriteLine(clean);
        LineReceived?.Invoke(clean);
    }

    public string Console { get { lock (_lock) return _console.ToString(); } }
    public string StdErr { get { lock (_lock) return _stderr.ToString(); } }

    /// <summary>Waits for a console line containing <paramref name="marker"/>; fails the step if QEMU
    /// exits first, a kernel failure shows up, or the timeout passes.</summary>
    public async Task<string> WaitForLineAsync(string step, string marker, TimeSpan timeout, Func<string, string?> failureScan, CancellationToken ct)
    {
        var tcs = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        void Check(string l) { if (l.Contains(marker, StringComparison.Ordinal)) tcs.TrySetResult(l); }
        LineReceived += Check;
        try
        {
            var existing = Console.Split('\n').FirstOrDefault(l => l.Contains(marker, StringComparison.Ordinal));
            if (existing is not null) return existing.Trim();
            using var timeoutCts = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeoutCts.CancelAfter(timeout);
            while (true)
            {
                var delay = Task.Delay(TimeSpan.FromSeconds(1), timeoutCts.Token);
                var done = await Task.WhenAny(tcs.Task, _task.Task, delay);
                if (done == tcs.Task) return tcs.Task.Result.Trim();
                if (done == _task.Task)
                    throw new LabStepException(step, $"{Name} QEMU exited (code {_task.Task.Result.ExitCode}) before `{marker}`: " +
                        $"{Processes.ProcessRunner.Tail(StdErr + "\n" + Console, 800)}");
                if (failureScan(Console) is { } failure)
                    throw new LabStepException(step, $"{Name} kernel failure on the console before `{marker}`: {failure}");
                if (delay.IsCanceled)
                {
                    ct.ThrowIfCancellationRequested();
                    throw new LabStepException(step, $"{Name}: no `{marker}` on the console after {timeout.TotalSeconds:0} s; last lines: " +
                        Processes.ProcessRunner.Tail(Console, 600));
                }
            }
        }
        finally { LineReceived -= Check; }
    }

    /// <summary>Kills QEMU (SIGKILL via CliWrap's forceful cancellation) and waits for it to go. Once: a
    /// failed boot is disposed at once and again by the run's cleanup.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
        if (!_task.Task.IsCompleted) _kill.Cancel();
        try { await _task.Task.WaitAsync(TimeSpan.FromSeconds(10)); } catch { /* killed or timed out: nothing else to do */ }
        lock (_log) _log.Dispose();
        _kill.Dispose();
    }
}
