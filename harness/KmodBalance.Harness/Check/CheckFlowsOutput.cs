using System.Globalization;
using System.Text;

namespace KmodBalance.Harness.Check;

/// <summary>What vm-images/l1/check-flows.sh printed for one scenario, split into its sections.</summary>
/// <param name="PeriodMs">balance_period_ms in force (null: the module has none).</param>
/// <param name="Dmesg">Kernel log lines the run added (null: not read).</param>
public sealed record CheckFlowsOutput(
    int? PeriodMs,
    uint? Threshold,
    int UdpflowsExitCode,
    string Udpflows,
    int MqtapExitCode,
    string Mqtap,
    string MqtapStderr,
    IReadOnlyList<string>? Dmesg);

public static class CheckFlowsOutputParser
{
    /// <exception cref="FormatException">The script did not get to the end.</exception>
    public static CheckFlowsOutput Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var sections = new List<(string Header, StringBuilder Body)>();
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            if (line.StartsWith("### ", StringComparison.Ordinal))
                sections.Add((line[4..], new StringBuilder()));
            else if (sections.Count > 0)
                sections[^1].Body.Append(line).Append('\n');
        }
        if (sections.Count == 0 || sections[^1].Header != "end")
            throw new FormatException("check-flows.sh output has no '### end' (the script did not finish)");

        (string Header, StringBuilder Body)? Find(string prefix) =>
            sections.Where(s => s.Header.StartsWith(prefix, StringComparison.Ordinal)).Select(s => ((string, StringBuilder)?)s).FirstOrDefault();

        var p = Find("params ") ?? throw new FormatException("check-flows.sh output has no '### params' line");
        var pf = ToolOutputParser.Fields(p.Header);
        var uf = Find("udpflows rc=") ?? throw new FormatException("check-flows.sh output has no udpflows section");
        var mq = Find("mqtap rc=") ?? throw new FormatException("check-flows.sh output has no mqtap section");
        var err = Find("mqtap stderr");
        var dmesg = Find("dmesg");
        return new CheckFlowsOutput(
            OptionalInt(pf, "period_ms"), (uint?)OptionalInt(pf, "threshold"),
            Rc(uf.Header), uf.Body.ToString(), Rc(mq.Header), mq.Body.ToString(), err?.Body.ToString() ?? "",
            dmesg?.Body.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    private static int Rc(string header) =>
        int.Parse(ToolOutputParser.Fields(header)["rc"], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);

    private static int? OptionalInt(Dictionary<string, string> f, string key) =>
        f.TryGetValue(key, out var v) && int.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : null;
}
