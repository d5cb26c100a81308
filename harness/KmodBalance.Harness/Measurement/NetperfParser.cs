using System.Globalization;
using System.Text.RegularExpressions;

namespace KmodBalance.Harness.Measurement;

/// <summary>Parses the output of one netperf TCP_STREAM or UDP_STREAM run.</summary>
public static partial class NetperfParser
{
    // Throughput unit in the header, set by netperf -f: 10^3/10^6/10^9 bits, or K/M/G bytes (powers of 2).
    [GeneratedRegex(@"\b10\^(?<exp>[369])bits/s(?:ec)?\b|\b(?<prefix>[KMG])Bytes/s(?:ec)?\b", RegexOptions.CultureInvariant)]
    private static partial Regex ThroughputUnit();

    /// <summary>
    /// Returns the throughput in Mbit/s (10^6 bits/s). Accepts the default output (with header),
    /// <c>-P0</c> (result lines only), test-specific options such as <c>-- -P port,port</c> and <c>-c -C</c>.
    /// TCP_STREAM: the one result line's 5th column. UDP_STREAM: the second (receive-side, remote) result
    /// line's 4th column, because the sender's count includes datagrams dropped before the receiver.
    /// The unit is read from the header (<c>-f</c>); without a header netperf's default 10^6bits/sec is assumed.
    /// </summary>
    /// <exception cref="FormatException">No result line (netperf failed), or not the output of exactly one run.</exception>
    public static double ParseThroughputMbps(string output, NetperfTest test)
    {
        ArgumentNullException.ThrowIfNull(output);
        string testName = test.NetperfName();

        // Result lines are the lines made only of numbers; header and error lines all contain words.
        var results = TextLines.Split(output)
            .Select(TextLines.Tokens)
            .Where(tokens => tokens.Length >= 4 && tokens.All(IsNumber))
            .Select(tokens => tokens.Select(t => double.Parse(t, NumberStyles.Float, CultureInfo.InvariantCulture)).ToArray())
            .ToList();

        double value = test switch
        {
            NetperfTest.TcpStream => TcpThroughput(results, output),
            NetperfTest.UdpStream => UdpReceiveThroughput(results, output),
            _ => throw new ArgumentOutOfRangeException(nameof(test), test, "Unknown netperf test"),
        };
        return value * MbpsPerUnit(output, testName);
    }

    private static double TcpThroughput(List<double[]> results, string output)
    {
        if (results.Count == 0)
            throw new FormatException($"netperf TCP_STREAM output has no result line (did netperf fail?): {TextLines.Excerpt(output)}");
        if (results.Count > 1)
            throw new FormatException($"netperf TCP_STREAM output has {results.Count} result lines; expected the output of exactly one run: {TextLines.Excerpt(output)}");
        if (results[0].Length < 5)
            throw new FormatException($"netperf TCP_STREAM result line has {results[0].Length} columns; expected at least 5 (recv socket, send socket, message size, elapsed, throughput): {TextLines.Excerpt(output)}");
        return results[0][4];
    }

    private static double UdpReceiveThroughput(List<double[]> results, string output)
    {
        if (results.Count == 0)
            throw new FormatException($"netperf UDP_STREAM output has no result line (did netperf fail?): {TextLines.Excerpt(output)}");
        if (results.Count == 1)
            throw new FormatException($"netperf UDP_STREAM output has only the send-side result line; the receive-side (remote) line is missing: {TextLines.Excerpt(output)}");
        if (results.Count > 2)
            throw new FormatException($"netperf UDP_STREAM output has {results.Count} result lines; expected the two lines (send, receive) of exactly one run: {TextLines.Excerpt(output)}");
        if (results[0].Length < 6)
            throw new FormatException($"netperf UDP_STREAM send-side line has {results[0].Length} columns; expected at least 6: {TextLines.Excerpt(output)}");
        return results[1][3];
    }

    private static double MbpsPerUnit(string output, string testName)
    {
        var unit = ThroughputUnit().Match(output);
        if (!unit.Success)
            return 1.0;
        if (unit.Groups["exp"].Success)
            return Math.Pow(10, int.Parse(unit.Groups["exp"].Value, CultureInfo.InvariantCulture) - 6);
        double bytes = unit.Groups["prefix"].Value switch
        {
            "K" => 1 << 10,
            "M" => 1 << 20,
            "G" => 1 << 30,
            var p => throw new FormatException($"netperf {testName}: unknown throughput unit prefix '{p}'"),
        };
        return bytes * 8 / 1e6;
    }

    private static bool IsNumber(string token) =>
        double.TryParse(token, NumberStyles.Float, CultureInfo.InvariantCulture, out _);
}
