using System.Globalization;
using System.Text.RegularExpressions;

namespace KmodBalance.Harness.Measurement;

/// <summary>Finds the virtio device index N of a NIC (the N in <c>virtioN-input.K</c>).</summary>
public static partial class VirtioIndex
{
    [GeneratedRegex(@"(?:^|/)virtio(?<n>[0-9]+)/?$", RegexOptions.CultureInvariant)]
    private static partial Regex TrailingVirtioSegment();

    /// <summary>
    /// Parses a sysfs path or <c>readlink /sys/class/net/eth0/device</c> output such as
    /// <c>../../../virtio0</c> or <c>/sys/devices/pci0000:00/0000:00:03.0/virtio2</c>.
    /// </summary>
    /// <exception cref="FormatException">The last path segment is not <c>virtio&lt;N&gt;</c>.</exception>
    public static int Parse(string deviceLink)
    {
        ArgumentNullException.ThrowIfNull(deviceLink);
        var match = TrailingVirtioSegment().Match(deviceLink.Trim());
        if (!match.Success)
            throw new FormatException($"Not a virtio device link (expected a path ending in 'virtio<N>'): {TextLines.Excerpt(deviceLink)}");
        return int.Parse(match.Groups["n"].Value, CultureInfo.InvariantCulture);
    }
}
