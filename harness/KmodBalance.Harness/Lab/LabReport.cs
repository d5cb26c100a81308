using System.Text.Json.Serialization;
using KmodBalance.Harness.Measurement;

namespace KmodBalance.Harness.Reporting;

public sealed record FlowReport(int Flow, double Mbps);

public sealed record QueueReport(int Queue, long Interrupts, long RxPackets, long HostPackets, double Share);

/// <param name="Error">Set on a boot attempt that failed and was attempted again: why it failed.
/// Reports and the console show it, so a pass that needed a second boot is never silent.</param>
public sealed record StepTiming(string Step, double Seconds, string? Error = null)
{
    public bool Retried => Error is not null;

    /// <summary>Markdown: a "Retried boots" section listing each retried attempt and why it failed; empty when none.</summary>
    public static string RetriesMarkdown(IEnumerable<StepTiming> steps)
    {
        var retried = steps.Where(s => s.Retried).ToList();
        return retried.Count == 0
            ? ""
            : "## Retried boots\n\n" + string.Concat(retried.Select(s => $"- **{s.Step}**: {s.Error!.ReplaceLineEndings(" ")}\n")) + "\n";
    }
}

/// <summary>Everything one lab run produced; <see cref="ReportWriter"/> renders it.</summary>
/// <param name="Verdict">"pass", "fail" or "error" (see <see cref="LabVerdicts"/>).</param>
/// <param name="Topology">"nested" or "host".</param>
/// <param name="Accel">For example "l1:tcg,l2:kvm".</param>
/// <param name="Test">netperf test, for example "TCP_STREAM".</param>
/// <param name="Flows">Number of concurrent flows; "flowCount" in report.json.</param>
/// <param name="FlowResults">Per-flow throughput; "flows" in report.json.</param>
/// <param name="Environment">Kernel release, qemu version, module vermagic, ...</param>
/// <param name="Evidence">Which counter the shares come from (SpreadVerdict.Evidence), if judged.</param>
/// <param name="MinShare">The per-queue minimum share the verdict used; drawn as the line in the chart.</param>
/// <param name="Migrations">Flows the dynamic balancer moved during netperf (null: the module has no balancer).</param>
/// <param name="Balance">The tap's block of /sys/kernel/debug/tun_balance after netperf (null: no statistics file, a stock module).</param>
/// <param name="Balancing">"on (how)" or "off (stock)": whether L1's tap balanced.</param>
public sealed record LabReport(
    string Verdict,
    string Policy,
    string Topology,
    string Accel,
    string Test,
    [property: JsonPropertyName("flowCount")] int Flows,
    int DurationSeconds,
    IReadOnlyList<QueueReport> Queues,
    [property: JsonPropertyName("flows")] IReadOnlyList<FlowReport> FlowResults,
    double Jain,
    IReadOnlyList<string> Reasons,
    IReadOnlyList<StepTiming> Steps,
    double WallSeconds,
    string? Error,
    IReadOnlyDictionary<string, string> Environment,
    string? Evidence = null,
    double MinShare = 0.10,
    long? Migrations = null,
    BalanceStats? Balance = null,
    string? Balancing = null,
    TcpCounters? Tcp = null);

public static class LabVerdicts
{
    public const string Pass = "pass";
    public const string Fail = "fail";
    public const string Error = "error";

    public static bool IsKnown(string verdict) => verdict is Pass or Fail or Error;
}
