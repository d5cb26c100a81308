using System.Diagnostics;

namespace KmodBalance.Harness.Lab;

/// <summary>Synchronous progress to stderr with elapsed time (Progress&lt;T&gt; would reorder lines).</summary>
public sealed class ConsoleProgress : IProgress<string>
{
    private readonly Stopwatch _sw = Stopwatch.StartNew();
    private readonly object _lock = new();
    public void Report(string value) { lock (_lock) Console.Error.WriteLine($"[{_sw.Elapsed.TotalSeconds,6:0.0}s] {value}"); }
}
