using System.Globalization;
using System.Text.RegularExpressions;

namespace KmodBalance.Harness.Measurement;

/// <summary>Parses <c>ethtool -S &lt;dev&gt;</c> output.</summary>
public static partial class EthtoolStatsParser
{
    // virtio_net names the counter rx_queue_K_packets; mlx5 and others use rxK_packets.
    [GeneratedRegex(@"^\s*(?:rx_queue_(?<q>[0-9]+)_packets|rx(?<q>[0-9]+)_packets)\s*:\s*(?<v>[0-9]+)\s*$", RegexOptions.CultureInvariant)]
    private static partial Regex RxQueuePackets();

    /// <summary>
    /// Returns queue -> received packets from <c>rx_queue_&lt;K&gt;_packets</c> or <c>rx&lt;K&gt;_packets</c> lines.
    /// Output without per-queue counters (for example "no stats available") gives an empty map.
    /// If a driver reports both namings for one queue, the first line wins.
    /// </summary>
    public static IReadOnlyDictionary<int, long> ParseRxQueuePackets(string ethtoolS)
    {
        ArgumentNullException.ThrowIfNull(ethtoolS);
        var result = new SortedDictionary<int, long>();
        foreach (var line in TextLines.Split(ethtoolS))
        {
            var match = RxQueuePackets().Match(line);
            if (!match.Success)
                continue;
            int queue = int.Parse(match.Groups["q"].Value, CultureInfo.InvariantCulture);
            result.TryAdd(queue, long.Parse(match.Groups["v"].Value, CultureInfo.InvariantCulture));
        }
        return result;
    }
}
