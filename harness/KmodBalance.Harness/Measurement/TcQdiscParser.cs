using System.Globalization;
using System.Text.RegularExpressions;

namespace KmodBalance.Harness.Measurement;

/// <summary>Parses <c>tc -s qdisc show dev TAP</c> for the per-txq children of an mq root.</summary>
public static partial class TcQdiscParser
{
    // "qdisc mq 0: root" / "qdisc mq 1: root"
    [GeneratedRegex(@"^qdisc\s+mq\s+(?<major>[0-9a-f]*):[0-9a-f]*\s+root\b", RegexOptions.CultureInvariant)]
    private static partial Regex MqRoot();

    // "qdisc pfifo_fast 0: parent :a ..." / "qdisc htb 11: parent 1:1 ..."; tc prints handles in hex.
    [GeneratedRegex(@"^qdisc\s+\S+\s+\S+\s+parent\s+(?<major>[0-9a-f]*):(?<minor>[0-9a-f]+)\b", RegexOptions.CultureInvariant)]
    private static partial Regex ChildQdisc();

    [GeneratedRegex(@"^\s*Sent\s+[0-9]+\s+bytes\s+(?<pkts>[0-9]+)\s+pkt\b", RegexOptions.CultureInvariant)]
    private static partial Regex SentLine();

    /// <summary>
    /// Returns tx queue (0-based) -> "Sent X bytes Y pkt" packets of each child of the mq root;
    /// child <c>parent :1</c> is queue 0, and <c>parent :a</c> (hex) is queue 9.
    /// Qdiscs nested below the children (for example under HTB classes) are ignored.
    /// On a tap these are the packets the host sent to the guest on that queue, counted in GSO segments.
    /// </summary>
    /// <exception cref="FormatException">No mq root qdisc (tap not multi-queue or down) or no -s counters.</exception>
    public static IReadOnlyDictionary<int, long> ParseMqChildPackets(string tcOutput)
    {
        ArgumentNullException.ThrowIfNull(tcOutput);
        var lines = TextLines.Split(tcOutput);

        string? rootMajor = null;
        foreach (var line in lines)
        {
            var root = MqRoot().Match(line);
            if (root.Success)
            {
                rootMajor = NormalizeMajor(root.Groups["major"].Value);
                break;
            }
        }
        if (rootMajor is null)
            throw new FormatException($"tc qdisc output has no 'qdisc mq ... root' line; is the tap multi-queue and up? Output: {TextLines.Excerpt(tcOutput)}");

        var result = new SortedDictionary<int, long>();
        int? pendingQueue = null;
        foreach (var line in lines)
        {
            if (line.StartsWith("qdisc", StringComparison.Ordinal))
            {
                pendingQueue = null;
                var child = ChildQdisc().Match(line);
                if (child.Success && NormalizeMajor(child.Groups["major"].Value) == rootMajor)
                    pendingQueue = int.Parse(child.Groups["minor"].Value, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture) - 1;
                continue;
            }
            if (pendingQueue is int queue && SentLine().Match(line) is { Success: true } sent)
            {
                result[queue] = long.Parse(sent.Groups["pkts"].Value, CultureInfo.InvariantCulture);
                pendingQueue = null;
            }
        }
        if (result.Count == 0)
            throw new FormatException($"tc qdisc output has an mq root but no child 'Sent ... pkt' counters; was it run with -s? Output: {TextLines.Excerpt(tcOutput)}");
        return result;
    }

    private static string NormalizeMajor(string major) => major.TrimStart('0');
}
