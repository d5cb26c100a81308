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
    IReadOnlyList<string>? Dmesg)
{
    /// <summary>balance_default of the loaded module (null: it has none, a stock tun).</summary>
    public int? BalanceDefault { get; init; }

    /// <summary>balance_default the scenario set while its tap was created (null: left alone).</summary>
    public int? BalanceDefaultSet { get; init; }

    /// <summary>/sys/kernel/debug/tun_balance before the tap existed ("absent" for a stock tun; null: not printed).</summary>
    public string? DebugfsBefore { get; init; }

    /// <summary>The same file after mqtap closed the tap.</summary>
    public string? DebugfsAfter { get; init; }

    /// <summary>The netconsole section (null: the scenario had none).</summary>
    public NetconsoleRun? Netconsole { get; init; }

    /// <summary>--backend ebpf: what kmbsteer did for the scenario (null: the module back end).</summary>
    public SteerRun? Steer { get; init; }
}

/// <summary>check-flows.sh's kmbsteer sections (KMB_STEER): steer.sh start's exit code (null: it never
/// ran) and output, steer.sh stop's output, kmbsteer's history file and its own log.</summary>
public sealed record SteerRun(int? StartExitCode, string Start, string Stop, string History, string Log);

/// <summary>check-flows.sh's netconsole: modprobe's exit code, the kmsg lines the loop wrote, what
/// modprobe/rmmod printed.</summary>
public sealed record NetconsoleRun(int ModprobeExitCode, int LinesWritten, int Port, string Output);

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
        var before = Find("debugfs before");
        int? set = Find("balance_default set=") is { } bd
            ? ToolOutputParser.Fields(bd.Header)["set"] switch { "Y" or "1" => 1, "N" or "0" => 0, _ => null }
            : null;
        var after = Find("debugfs after");
        NetconsoleRun? netconsole = null;
        if (Find("netconsole rc=") is { } nc)
        {
            var f = ToolOutputParser.Fields(nc.Header);
            netconsole = new NetconsoleRun(f["rc"] == "-" ? -1 : Rc(nc.Header), OptionalInt(f, "lines") ?? 0, OptionalInt(f, "port") ?? 0, nc.Body.ToString());
        }
        SteerRun? steer = null;
        if (Find("kmbsteer start rc=") is { } ss)
        {
            var rc = ToolOutputParser.Fields(ss.Header)["rc"];
            steer = new SteerRun(int.TryParse(rc, NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : null, ss.Body.ToString(),
                Find("kmbsteer stop")?.Body.ToString() ?? "", Find("kmbsteer history")?.Body.ToString() ?? "", Find("kmbsteer log")?.Body.ToString() ?? "");
        }
        return new CheckFlowsOutput(
            OptionalInt(pf, "period_ms"), (uint?)OptionalInt(pf, "threshold"),
            Rc(uf.Header), uf.Body.ToString(), Rc(mq.Header), mq.Body.ToString(), err?.Body.ToString() ?? "",
            dmesg?.Body.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            BalanceDefault = OptionalInt(pf, "balance_default"),
            BalanceDefaultSet = set,
            DebugfsBefore = before?.Body.ToString(),
            DebugfsAfter = after?.Body.ToString(),
            Netconsole = netconsole,
            Steer = steer,
        };
    }

    private static int Rc(string header) =>
        int.Parse(ToolOutputParser.Fields(header)["rc"], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);

    private static int? OptionalInt(Dictionary<string, string> f, string key) =>
        f.TryGetValue(key, out var v) && int.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : null;
}
