using System.Globalization;
using System.Text.RegularExpressions;

namespace KmodBalance.Harness.Measurement;

/// <summary>Parses guest <c>/proc/interrupts</c> text.</summary>
public static partial class InterruptsParser
{
    [GeneratedRegex(@"^virtio(?<dev>[0-9]+)-input\.(?<queue>[0-9]+)$", RegexOptions.CultureInvariant)]
    private static partial Regex VirtioInputName();

    /// <summary>
    /// Sums the per-CPU counts of every <c>virtio&lt;N&gt;-input.&lt;K&gt;</c> line for N = <paramref name="virtioIndex"/>.
    /// The number of CPU columns comes from the header line; a line may carry fewer count columns
    /// (for example ERR/MIS, or after CPU hotplug), so only the leading numeric columns are summed.
    /// Returns queue K -> count; queues without a line are absent.
    /// </summary>
    /// <exception cref="FormatException">No <c>CPU0 ...</c> header line.</exception>
    public static IReadOnlyDictionary<int, long> ParseVirtioInputQueues(string procInterrupts, int virtioIndex)
    {
        ArgumentNullException.ThrowIfNull(procInterrupts);
        ArgumentOutOfRangeException.ThrowIfNegative(virtioIndex);

        var lines = TextLines.Split(procInterrupts);
        int headerAt = Array.FindIndex(lines, l => l.Trim().StartsWith("CPU", StringComparison.Ordinal));
        if (headerAt < 0)
            throw new FormatException($"/proc/interrupts: no 'CPU0 CPU1 ...' header line found. Start of input: {TextLines.Excerpt(procInterrupts)}");
        int cpuColumns = TextLines.Tokens(lines[headerAt]).Count(t => t.StartsWith("CPU", StringComparison.Ordinal));

        var result = new SortedDictionary<int, long>();
        foreach (var line in lines.Skip(headerAt + 1))
        {
            var tokens = TextLines.Tokens(line);
            if (tokens.Length < 2 || !tokens[0].EndsWith(':'))
                continue;
            var match = VirtioInputName().Match(tokens[^1]);
            if (!match.Success || int.Parse(match.Groups["dev"].Value, CultureInfo.InvariantCulture) != virtioIndex)
                continue;

            long sum = 0;
            for (int i = 1; i <= cpuColumns && i < tokens.Length - 1; i++)
            {
                if (!long.TryParse(tokens[i], NumberStyles.None, CultureInfo.InvariantCulture, out long count))
                    break;
                sum += count;
            }
            int queue = int.Parse(match.Groups["queue"].Value, CultureInfo.InvariantCulture);
            result[queue] = result.GetValueOrDefault(queue) + sum;
        }
        return result;
    }
}
