using System.Collections.Concurrent;
using KmodBalance.Generator.UserSpace;

namespace KmodBalance.Tests.Differential;

/// <summary>
/// Running trace-mode drivers, one per sampling thread, so that a property test's
/// thousands of traces cost a handful of processes. A driver that died (a sanitizer
/// report) is dropped; the next trace gets a fresh one.
/// </summary>
public sealed class DriverPool(UserSpaceBinary binary) : IDisposable
{
    private readonly ConcurrentBag<TraceSession> _idle = [];

    /// <summary>Runs <paramref name="trace"/> on a fresh balancer; returns the driver's lines.</summary>
    public IReadOnlyList<string> Run(Trace trace)
    {
        if (!_idle.TryTake(out var session))
            session = binary.StartTraceSession();
        try
        {
            var lines = session.RunBatch(trace.Commands());
            _idle.Add(session);
            return lines;
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        while (_idle.TryTake(out var session))
            session.Dispose();
    }
}
