using System.Text.Json.Serialization;
using KmodBalance.Harness.Measurement;
using KmodBalance.Harness.Reporting;

namespace KmodBalance.Harness.Lab;

public sealed record QueueReport(int Queue, long Interrupts, long RxPackets, long HostPackets, double Share);

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
    double MinShare = QueueShare.SpreadMinimum,
    long? Migrations = null,
    BalanceStats? Balance = null,
    string? Balancing = null,
    TcpCounters? Tcp = null)
{
    /// <summary>--threshold and --period-ms the module was built with (or kmbsteer attached with).</summary>
    public Tunables? Tunables { get; init; }

    /// <summary>report.json of a lab run.</summary>
    public static ReportJson<LabReport> Json { get; } = ReportJson.For<LabReport>(o => new LabReportJsonContext(o));
}

[JsonSerializable(typeof(LabReport))]
internal sealed partial class LabReportJsonContext : JsonSerializerContext;
