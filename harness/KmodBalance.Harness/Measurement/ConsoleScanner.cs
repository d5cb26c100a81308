using System.Text.RegularExpressions;

namespace KmodBalance.Harness.Measurement;

/// <summary>The first kernel failure found in a console log.</summary>
/// <param name="LineNumber">1-based line of the match.</param>
/// <param name="Line">The matching line.</param>
/// <param name="Excerpt">A few lines before and after the match.</param>
public sealed record KernelFailure(int LineNumber, string Line, string Excerpt);

/// <summary>Scans a guest serial console log for signs that the kernel broke.</summary>
public static partial class ConsoleScanner
{
    public const int LinesBefore = 3;
    public const int LinesAfter = 10;

    // Oops, BUG: (soft lockup, NULL dereference, KASAN...), kernel BUG at, RCU stalls, hard lockups,
    // panics, WARN_ON splats and hung tasks: each means the run's numbers cannot be trusted.
    [GeneratedRegex(
        @"\bOops\b|\bBUG:|kernel BUG at|soft lockup|hard LOCKUP|self-detected stall|detected stalls? on CPU|RCU stall|rcu: INFO:|INFO: rcu_|" +
        @"Kernel panic|general protection fault|Unable to handle kernel|WARNING: CPU: [0-9]+ PID: [0-9]+ at (?:drivers/net|net|drivers/vhost)/|INFO: task .* blocked for more than",
        RegexOptions.CultureInvariant)]
    private static partial Regex FailurePattern();

    /// <summary>Null when the log is clean, else an excerpt of a few lines around the first failure.</summary>
    public static string? FindKernelFailure(string consoleLog) => Scan(consoleLog)?.Excerpt;

    /// <summary>Null when the log is clean, else the first failure with its line number and excerpt.</summary>
    public static KernelFailure? Scan(string consoleLog)
    {
        ArgumentNullException.ThrowIfNull(consoleLog);
        var lines = TextLines.Split(consoleLog);
        for (int i = 0; i < lines.Length; i++)
        {
            if (!FailurePattern().IsMatch(lines[i]))
                continue;
            int from = Math.Max(0, i - LinesBefore);
            int to = Math.Min(lines.Length - 1, i + LinesAfter);
            var excerpt = string.Join('\n', lines[from..(to + 1)]).TrimEnd();
            return new KernelFailure(i + 1, lines[i], excerpt);
        }
        return null;
    }
}
