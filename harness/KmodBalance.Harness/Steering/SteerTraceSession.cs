using System.Diagnostics;
using System.Globalization;
using KmodBalance.Generator;

namespace KmodBalance.Harness.Steering;

/// <summary>What <c>kmbsteer trace</c> printed after a remap: the core's state on the mirror.</summary>
/// <param name="FlowQueues">Flow hash -> queue (65535: unplaced) of every flow in the table.</param>
/// <param name="Loads">Queue -> load of the period just ended, for the queues whose load is not 0.</param>
public sealed record SteerRemapState(uint Migrations, uint Flows, uint Periods,
    IReadOnlyDictionary<uint, ushort> FlowQueues, IReadOnlyDictionary<int, uint> Loads);

/// <summary>
/// <c>kmbsteer trace</c>: the steering program run by the kernel through BPF_PROG_TEST_RUN on frames of
/// given flows, and the remapper, one command and one answer at a time (see kmbsteer.c's head).
/// Needs root (or CAP_BPF) to load the program. Not thread-safe.
/// </summary>
public sealed class SteerTraceSession : IDisposable
{
    private readonly Process _process;

    private SteerTraceSession(Process process) => _process = process;

    public static SteerTraceSession Start(string kmbsteer, uint queueCount)
    {
        var info = new ProcessStartInfo(kmbsteer)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add("trace");
        info.ArgumentList.Add(queueCount.ToString(CultureInfo.InvariantCulture));
        return new SteerTraceSession(Process.Start(info) ?? throw new KmbException($"cannot start {kmbsteer}", 1));
    }

    /// <summary>The queue tun would take for a packet of <paramref name="flow"/> with <paramref name="segments"/> segments.</summary>
    public ushort Steer(SteerFlow flow, uint segments) =>
        ushort.Parse(Ask($"p {flow.TraceText} {segments}"), CultureInfo.InvariantCulture);

    /// <summary>The device has <paramref name="queueCount"/> queues from now on.</summary>
    public void Resize(uint queueCount)
    {
        var answer = Ask($"n {queueCount}");
        if (answer != ".")
            throw new KmbException($"kmbsteer trace answered '{answer}' to a resize", 1);
    }

    /// <summary>One period of the remapper with <paramref name="threshold"/>.</summary>
    public SteerRemapState Remap(uint threshold)
    {
        var totals = Ask($"r {threshold}").Split(' ');
        var flows = ReadLine()[1..].Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .Select(p => p.Split(':'))
            .ToDictionary(p => uint.Parse(p[0], CultureInfo.InvariantCulture), p => ushort.Parse(p[1], CultureInfo.InvariantCulture));
        var loads = ReadLine()[1..].Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .Select(p => p.Split(':'))
            .ToDictionary(p => int.Parse(p[0], CultureInfo.InvariantCulture), p => uint.Parse(p[1], CultureInfo.InvariantCulture));
        return new SteerRemapState(uint.Parse(totals[1], CultureInfo.InvariantCulture), uint.Parse(totals[2], CultureInfo.InvariantCulture),
            uint.Parse(totals[3], CultureInfo.InvariantCulture), flows, loads);
    }

    private string Ask(string command)
    {
        _process.StandardInput.WriteLine(command);
        _process.StandardInput.Flush();
        return ReadLine();
    }

    private string ReadLine() =>
        _process.StandardOutput.ReadLine()
        ?? throw new KmbException($"kmbsteer trace exited ({_process.StandardError.ReadToEnd().Trim()})", 1);

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.StandardInput.WriteLine("q");
                _process.StandardInput.Flush();
                if (!_process.WaitForExit(5000))
                    _process.Kill();
            }
        }
        catch (IOException)
        {
            // it exited meanwhile
        }
        _process.Dispose();
    }
}
