using KmodBalance.Generator.Output;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Xml;
using System.Xml.Linq;
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
}

/// <summary>Everything `kmb lab check` produced for one policy.</summary>
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

    /// <summary>fail if any property failed, else error if any could not be shown (or the run broke), else pass.</summary>
    public static string Combine(IEnumerable<PropertyVerdict> properties, string? error)
    {
        var verdicts = properties.Select(p => p.Verdict).ToList();
        if (verdicts.Contains(LabVerdicts.Fail)) return LabVerdicts.Fail;
        if (error is not null || verdicts.Count == 0 || verdicts.Contains(LabVerdicts.Error)) return LabVerdicts.Error;
        return LabVerdicts.Pass;
    }

    public int ExitCode => Verdict switch { LabVerdicts.Pass => 0, LabVerdicts.Fail => 1, _ => 2 };
}

/// <summary>report.json (camelCase, enums as names), junit.xml (one testcase per property),
/// summary.md, raw/SCENARIO.txt and consoles/, written into a temp dir and renamed into place.</summary>
public static class CheckReportWriter
{
    public const string SuiteName = "kmb-lab-check";

    public static string Json(CheckReport report) => JsonSerializer.Serialize(report, CheckReportJsonContext.Default.CheckReport);

    public static CheckReport ReadJson(string json) =>
        JsonSerializer.Deserialize(json, CheckReportJsonContext.Default.CheckReport) ?? throw new JsonException("report.json contains null");

    /// <param name="files">Relative path (raw/x.txt, consoles/l1.log) -> text.</param>
    /// <summary>The top-level names a check report holds: a directory holding only these is a previous
    /// report, which may be replaced (see <see cref="OutputDirectory"/>).</summary>
    public static readonly IReadOnlySet<string> OwnNames = new HashSet<string>(["report.json", "junit.xml", "summary.md", "raw", "consoles"]);

    /// <summary>Writes the report under the output-directory rule: staged and renamed into place; only
    /// an empty directory or a previous check report is replaced.</summary>
    public static void Write(string dir, CheckReport report, IReadOnlyDictionary<string, string> files)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(dir);
        foreach (var rel in files.Keys)
            if (Path.IsPathRooted(rel) || rel.Split('/').Any(p => p is "" or "." or ".."))
                throw new ArgumentException($"'{rel}' is not a plain relative path", nameof(files));
        AtomicDirectory.WriteAsync(dir, temp =>
        {
            File.WriteAllText(Path.Combine(temp, "report.json"), Json(report));
            File.WriteAllText(Path.Combine(temp, "junit.xml"), Junit(report));
            File.WriteAllText(Path.Combine(temp, "summary.md"), Summary(report));
            foreach (var (rel, text) in files)
            {
                var path = Path.Combine(temp, rel);
                Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                File.WriteAllText(path, text);
            }
            return Task.CompletedTask;
        }, ownNames: OwnNames).GetAwaiter().GetResult();
    }

    public static string Junit(CheckReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var cases = new List<XElement>();
        foreach (var p in report.Properties)
        {
            var c = new XElement("testcase",
                new XAttribute("classname", $"{SuiteName}.{report.Policy}.{p.Scenario}"),
                new XAttribute("name", JunitXml.Safe(p.Property)),
                new XAttribute("time", JunitXml.Seconds(report.Scenarios.FirstOrDefault(s => s.Name == p.Scenario)?.Seconds ?? 0)));
            if (p.Verdict == LabVerdicts.Fail)
                c.Add(new XElement("failure", new XAttribute("message", JunitXml.Safe(p.Message)), new XAttribute("type", "PropertyFailed"), JunitXml.Safe(string.Join('\n', p.Evidence))));
            else if (p.Verdict != LabVerdicts.Pass)
                c.Add(new XElement("error", new XAttribute("message", JunitXml.Safe(p.Message)), new XAttribute("type", "NotShown"), JunitXml.Safe(string.Join('\n', p.Evidence))));
            c.Add(new XElement("system-out", JunitXml.Safe(p.Message + "\n" + string.Join('\n', p.Evidence))));
            cases.Add(c);
        }
        if (report.Error is not null)
        {
            cases.Add(new XElement("testcase", new XAttribute("classname", $"{SuiteName}.{report.Policy}"), new XAttribute("name", "setup"),
                new XAttribute("time", JunitXml.Seconds(report.WallSeconds)),
                new XElement("error", new XAttribute("message", JunitXml.Safe(report.Error.Split('\n')[0])), new XAttribute("type", "LabError"), JunitXml.Safe(report.Error))));
        }
        int failures = cases.Count(c => c.Element("failure") is not null), errors = cases.Count(c => c.Element("error") is not null);
        var suite = new XElement("testsuite",
            new XAttribute("name", $"{SuiteName}.{report.Policy}"),
            new XAttribute("tests", cases.Count), new XAttribute("failures", failures), new XAttribute("errors", errors),
            new XAttribute("skipped", 0), new XAttribute("time", JunitXml.Seconds(report.WallSeconds)),
            new XElement("properties",
                new XElement("property", new XAttribute("name", "policy"), new XAttribute("value", report.Policy)),
                new XElement("property", new XAttribute("name", "accel"), new XAttribute("value", report.Accel)),
                report.Environment.OrderBy(e => e.Key, StringComparer.Ordinal)
                    .Select(e => new XElement("property", new XAttribute("name", $"env.{e.Key}"), new XAttribute("value", JunitXml.Safe(e.Value))))),
            cases);
        return JunitXml.Render(new XElement("testsuites", new XAttribute("name", SuiteName), new XAttribute("tests", cases.Count),
            new XAttribute("failures", failures), new XAttribute("errors", errors), new XAttribute("time", JunitXml.Seconds(report.WallSeconds)), suite));
    }

    public static string Summary(CheckReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var md = new StringBuilder();
        md.Append(CultureInfo.InvariantCulture, $"# KmodBalance deterministic check ({report.Policy}): {report.Verdict.ToUpperInvariant()}\n\n");
        md.Append(CultureInfo.InvariantCulture, $"accel {report.Accel}, wall {report.WallSeconds:0.0} s\n\n");
        // Which kernel the module was built for and loaded into, and what loading it did to the taint.
        foreach (var key in new[] { "kernel", "debug", "vermagic", "tun", "tcg" })
            if (report.Environment.TryGetValue(key, out var value)) md.Append(key).Append(": ").Append(value).Append("\n\n");
        if (report.Balancing is not null) md.Append("balancing: ").Append(report.Balancing).Append("\n\n");
        if (report.Error is not null)
            md.Append("## Error\n\n```\n").Append(report.Error.Replace("```", "'''", StringComparison.Ordinal).TrimEnd()).Append("\n```\n\n");
        md.Append("## Properties\n\n| scenario | property | verdict | why |\n|---|---|---|---|\n");
        foreach (var p in report.Properties)
            md.Append(CultureInfo.InvariantCulture, $"| {p.Scenario} | {p.Property} | **{p.Verdict}** | {Cell(p.Message)} |\n");
        md.Append('\n');
        foreach (var s in report.Scenarios)
        {
            md.Append(CultureInfo.InvariantCulture, $"## {s.Name} ({s.Seconds:0.0} s)\n\n{s.Description}.");
            if (s.PeriodMs is { } period) md.Append(CultureInfo.InvariantCulture, $" Period {period} ms, threshold {s.Threshold} segments per period.");
            md.Append("\n\n");
            if (s.Balancing is not null) md.Append("balancing: ").Append(s.Balancing).Append("\n\n");
            if (s.Error is not null) md.Append("Error: ").Append(Cell(s.Error)).Append("\n\n");
            if (s.Mqtap is not { } mq) continue;
            md.Append("| flow | role | pps | start ms | datagrams | queues (sequence numbers, send times) |\n|---:|---|---:|---:|---:|---|\n");
            foreach (var t in FlowTracks.Build(new CheckScenario(s.Name, s.Description, s.Flows, s.Events, [], s.Queues, s.PeriodMs, s.Threshold), mq))
                md.Append(CultureInfo.InvariantCulture,
                    $"| {t.Port} | {t.Plan.Role.ToString().ToLowerInvariant()} | {t.Plan.Pps} | {t.Plan.StartMs} | {t.Plan.Count} | {Cell(t.Seen ? t.Describe() : "never seen")} |\n");
            md.Append('\n');
            foreach (var e in mq.Events)
                md.Append(CultureInfo.InvariantCulture, $"- {e.Op.ToString().ToLowerInvariant()} slot {e.Slot}: {e.BeginUs / 1000.0:0.0}-{e.EndUs / 1000.0:0.0} ms, rc {e.ReturnCode}\n");
            if (mq.Stats.Count > 0)
            {
                var on = mq.Stats.Where(x => !x.Stats.Off).ToList();
                var last = on.Count > 0 ? on[^1].Stats : mq.Stats[^1].Stats;
                var lastText = on.Count == 0 ? "none"
                    : string.Create(CultureInfo.InvariantCulture, $"policy {last.Policy}, flows {last.Flows}, migrations {last.Migrations}, periods {last.Periods}, loads {string.Join(' ', last.Queues.Select(q => q.Load))}");
                md.Append(CultureInfo.InvariantCulture,
                    $"- tun_balance: {mq.Stats.Count} samples ({on.Count} with the tap's block); last with it: {lastText}; balancers at the end {mq.Stats[^1].Stats.Balancers?.ToString(CultureInfo.InvariantCulture) ?? "-"}\n");
            }
            if (mq.FloodFrames > 0) md.Append(CultureInfo.InvariantCulture, $"- flood datagrams read: {mq.FloodFrames}\n");
            if (mq.Replies.Count > 0) md.Append(CultureInfo.InvariantCulture, $"- guest replies written: {mq.Replies.Count}\n");
            foreach (var t in mq.Toggles)
                md.Append(CultureInfo.InvariantCulture, $"- balance := {t.Value} at {t.BeginUs / 1000.0:0.0}-{t.EndUs / 1000.0:0.0} ms, read back {t.Read}\n");
            if (s.Netconsole is { } nc)
                md.Append(CultureInfo.InvariantCulture, $"- netconsole: modprobe rc {nc.ModprobeExitCode}, {nc.LinesWritten} lines, datagrams per queue {string.Join(' ', mq.Slots.Select(x => x.Netcons))}\n");
            md.Append(CultureInfo.InvariantCulture, $"- tx_dropped {mq.TxDroppedBefore} -> {mq.TxDroppedAfter}; kernel log lines {s.Dmesg?.Count ?? 0}\n\n");
        }
        if (report.Steps.Count > 0)
        {
            md.Append("## Steps\n\n| step | s |\n|---|---:|\n");
            foreach (var st in report.Steps) md.Append(CultureInfo.InvariantCulture, $"| {st.Step} | {st.Seconds:0.0} |\n");
            md.Append('\n').Append(StepTiming.RetriesMarkdown(report.Steps));
        }
        return md.ToString();
    }

    private static string Cell(string s) => s.Replace("|", "\\|", StringComparison.Ordinal).Replace("\n", " ", StringComparison.Ordinal);

}

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    WriteIndented = true,
    UseStringEnumConverter = true,
    NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals)]
[JsonSerializable(typeof(CheckReport))]
internal sealed partial class CheckReportJsonContext : JsonSerializerContext;
