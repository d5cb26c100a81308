using System.Text.Json.Serialization;
using KmodBalance.Harness.Reporting;

namespace KmodBalance.Harness.Check;

/// <summary>One scenario's design and everything measured in it: udpflows' and mqtap's reports (per-bucket
/// counts, per-flow segments and gaps, balance_stats samples, queue events) and the kernel log lines.</summary>
public sealed record ScenarioReport(
    string Name,
    string Description,
    int Queues,
    int? PeriodMs,
    uint? Threshold,
    IReadOnlyList<FlowPlan> Flows,
    IReadOnlyList<QueueEvent> Events,
    double Seconds,
    UdpflowsReport? Sent,
    MqtapReport? Mqtap,
    IReadOnlyList<string>? Dmesg,
    string? Error)
{
    /// <summary>"on (how)" or "off (stock automq) at first; ..." for this scenario's tap.</summary>
    public string? Balancing { get; init; }

    /// <summary>/sys/kernel/debug/tun_balance before the tap existed.</summary>
    public string? DebugfsBefore { get; init; }

    /// <summary>/sys/kernel/debug/tun_balance after the tap was gone.</summary>
    public string? DebugfsAfter { get; init; }

    public NetconsoleRun? Netconsole { get; init; }

    /// <summary>The tunables the scenario set at run time, and whether that replaced the module's
    /// (<see cref="ScenarioTunables.Describe"/>); null: it ran at the module's own.</summary>
    public string? TunablesSet { get; init; }
}

/// <summary>Everything `kmb lab check` produced for one policy; <see cref="CheckReportWriter"/> renders it.</summary>
/// <param name="Verdict">pass (every property held), fail (one did not), error (one could not be shown).</param>
public sealed record CheckReport(
    string Verdict,
    string Policy,
    string Accel,
    IReadOnlyList<PropertyVerdict> Properties,
    IReadOnlyList<ScenarioReport> Scenarios,
    IReadOnlyList<StepTiming> Steps,
    double WallSeconds,
    string? Error,
    IReadOnlyDictionary<string, string> Environment)
{
    public const string ConsoleProperty = "kernel-console-clean";

    /// <summary>How the run turned balancing on.</summary>
    public string? Balancing { get; init; }

    /// <summary>--threshold and --period-ms the module was built with (or kmbsteer attached with); a scenario that
    /// sets its own says so in <see cref="ScenarioReport.TunablesSet"/>.</summary>
    public Tunables? Tunables { get; init; }

    /// <summary>fail if any property failed, else error if any could not be shown (or the run broke), else pass.</summary>
    public static string Combine(IEnumerable<PropertyVerdict> properties, string? error)
    {
        var verdicts = properties.Select(p => p.Verdict).ToList();
        if (verdicts.Contains(LabVerdicts.Fail)) return LabVerdicts.Fail;
        if (error is not null || verdicts.Count == 0 || verdicts.Contains(LabVerdicts.Error)) return LabVerdicts.Error;
        return LabVerdicts.Pass;
    }

    public int ExitCode => ExitCodes.ForVerdict(Verdict);

    /// <summary>report.json of a check (a flow's role and a queue event's operation by name).</summary>
    public static ReportJson<CheckReport> Json { get; } = ReportJson.For<CheckReport>(o => new CheckJsonContext(o));
}

[JsonSerializable(typeof(CheckReport))]
internal sealed partial class CheckJsonContext : JsonSerializerContext;
