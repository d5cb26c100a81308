using System.Text.Json;
using System.Xml.Linq;
using FluentAssertions;
using KmodBalance.Harness.Lab;
using KmodBalance.Harness.Reporting;
using Xunit;

namespace KmodBalance.Tests.Harness;

public sealed class ReportWriterTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("kmb-report-test-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private static LabReport Sample(string verdict = "fail", string? error = null) => new(
        Verdict: verdict,
        Policy: "learn",
        Topology: "nested",
        Accel: "l1:tcg,l2:kvm",
        Test: "TCP_STREAM",
        Flows: 4,
        DurationSeconds: 5,
        Queues:
        [
            new QueueReport(0, 535, 2522, 108743, 0.40),
            new QueueReport(1, 514, 2618, 107634, 0.30),
            new QueueReport(2, 480, 300, 113351, 0.05),
            new QueueReport(3, 522, 1560, 112851, 0.25),
        ],
        FlowResults: [new FlowReport(1, 247.72), new FlowReport(2, 251.5), new FlowReport(3, 232.94), new FlowReport(4, 257.33)],
        Jain: 0.8,
        Reasons: verdict == "fail" ? ["queue 2 carried 5% of rxPackets (< 10%)"] : [],
        Steps: [new StepTiming("build-module", 5.1), new StepTiming("boot-l1", 12.3), new StepTiming("netperf", 6.6)],
        WallSeconds: 47.2,
        Error: error,
        Environment: new Dictionary<string, string> { ["kernelRelease"] = "6.1.0-56-cloud-amd64", ["qemu"] = "7.2.22", ["vermagic"] = "6.1.0-56-cloud-amd64 SMP preempt mod_unload modversions" },
        Evidence: "rxPackets");

    private string Console(string name, string text)
    {
        var path = Path.Combine(_root, name);
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public void Writes_all_files_and_copies_consoles()
    {
        var dir = Path.Combine(_root, "run1");
        var l1 = Console("l1.src.log", "[ 1.0] KMB-READY\n");

        ReportWriter.Write(dir, Sample(), new Dictionary<string, string> { ["l1.serial.log"] = l1 });

        foreach (var file in new[] { "report.json", "junit.xml", "summary.md", "queue-shares.png" })
            File.Exists(Path.Combine(dir, file)).Should().BeTrue(file);
        File.ReadAllText(Path.Combine(dir, "consoles", "l1.serial.log")).Should().Be("[ 1.0] KMB-READY\n");
        File.ReadAllBytes(Path.Combine(dir, "queue-shares.png")).Take(8).Should().Equal(0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A);
        Directory.GetDirectories(_root).Should().ContainSingle("no temp dirs are left beside the report");
    }

    [Fact]
    public void Report_json_round_trips_with_camel_case_fields()
    {
        var dir = Path.Combine(_root, "run");
        var report = Sample();

        ReportWriter.Write(dir, report, new Dictionary<string, string>());

        var json = File.ReadAllText(Path.Combine(dir, "report.json"));
        using var doc = JsonDocument.Parse(json);
        var root = doc.RootElement;
        root.GetProperty("verdict").GetString().Should().Be("fail");
        root.GetProperty("policy").GetString().Should().Be("learn");
        root.GetProperty("topology").GetString().Should().Be("nested");
        root.GetProperty("accel").GetString().Should().Be("l1:tcg,l2:kvm");
        root.GetProperty("flowCount").GetInt32().Should().Be(4);
        root.GetProperty("queues")[2].GetProperty("rxPackets").GetInt64().Should().Be(300);
        root.GetProperty("queues")[2].GetProperty("hostPackets").GetInt64().Should().Be(113351);
        root.GetProperty("queues")[2].GetProperty("share").GetDouble().Should().Be(0.05);
        root.GetProperty("flows")[0].GetProperty("mbps").GetDouble().Should().Be(247.72);
        root.GetProperty("flows")[0].GetProperty("flow").GetInt32().Should().Be(1);
        root.GetProperty("jain").GetDouble().Should().Be(0.8);
        root.GetProperty("reasons").GetArrayLength().Should().Be(1);
        root.GetProperty("steps")[1].GetProperty("step").GetString().Should().Be("boot-l1");
        root.GetProperty("wallSeconds").GetDouble().Should().Be(47.2);
        root.GetProperty("error").ValueKind.Should().Be(JsonValueKind.Null);
        root.GetProperty("environment").GetProperty("kernelRelease").GetString().Should().Be("6.1.0-56-cloud-amd64");

        var back = LabReport.Json.Deserialize(File.ReadAllText(Path.Combine(dir, "report.json")));
        back.Should().BeEquivalentTo(report);
    }

    [Fact]
    public void Junit_has_a_failure_on_the_spread_case_when_failed()
    {
        var dir = Path.Combine(_root, "run");
        ReportWriter.Write(dir, Sample(), new Dictionary<string, string>());

        var doc = XDocument.Load(Path.Combine(dir, "junit.xml"));
        var suite = doc.Root!.Element("testsuite")!;
        suite.Attribute("name")!.Value.Should().Be("kmb-lab");
        suite.Attribute("tests")!.Value.Should().Be("4");
        suite.Attribute("failures")!.Value.Should().Be("1");
        var cases = suite.Elements("testcase").ToList();
        cases.Select(c => c.Attribute("name")!.Value).Should().Equal("build-module", "boot-l1", "netperf", "spread");
        var failure = cases.Single(c => c.Attribute("name")!.Value == "spread").Element("failure");
        failure.Should().NotBeNull();
        failure!.Attribute("message")!.Value.Should().Contain("queue 2");
        cases.Take(3).Should().OnlyContain(c => !c.HasElements);
    }

    [Fact]
    public void Junit_pass_has_no_failure_and_error_has_an_error_element()
    {
        var pass = Path.Combine(_root, "pass");
        ReportWriter.Write(pass, Sample("pass"), new Dictionary<string, string>());
        XDocument.Load(Path.Combine(pass, "junit.xml")).Descendants().Should().NotContain(e => e.Name == "failure" || e.Name == "error");

        var err = Path.Combine(_root, "err");
        ReportWriter.Write(err, Sample("error", "boot-l2 timed out after 120 s\nlast console line: \u0007[ 41.0] ..."), new Dictionary<string, string>());
        var error = XDocument.Load(Path.Combine(err, "junit.xml")).Descendants("error").Single();
        error.Attribute("message")!.Value.Should().Be("boot-l2 timed out after 120 s");
    }

    [Fact]
    public void Summary_has_the_queue_table()
    {
        var dir = Path.Combine(_root, "run");
        ReportWriter.Write(dir, Sample(), new Dictionary<string, string>());

        var md = File.ReadAllText(Path.Combine(dir, "summary.md"));
        md.Should().StartWith("# KmodBalance lab: FAIL");
        md.Should().Contain("| Queue | Interrupts | rxPackets | hostPackets | Share |");
        md.Should().Contain("| 2 | 480 | 300 | 113351 | 5.0% (low) |");
        md.Should().Contain("queue 2 carried 5% of rxPackets");
        md.Should().Contain("| total | 989.49 |");
    }

    [Fact]
    public void A_previous_report_is_replaced()
    {
        var dir = Path.Combine(_root, "run");
        ReportWriter.Write(dir, Sample("fail"), new Dictionary<string, string>());

        ReportWriter.Write(dir, Sample("pass"), new Dictionary<string, string>());

        LabReport.Json.Deserialize(File.ReadAllText(Path.Combine(dir, "report.json"))).Verdict.Should().Be("pass");
        Directory.GetDirectories(_root).Should().ContainSingle();
    }

    [Fact]
    public void A_directory_holding_a_file_kmb_did_not_write_is_refused_and_kept()
    {
        var dir = Path.Combine(_root, "run");
        Directory.CreateDirectory(Path.Combine(dir, "consoles"));
        File.WriteAllText(Path.Combine(dir, "notes.txt"), "mine");

        FluentActions.Invoking(() => ReportWriter.Write(dir, Sample("pass"), new Dictionary<string, string>()))
            .Should().Throw<KmodBalance.Generator.KmbException>().WithMessage("*holds what kmb did not write (notes.txt)*");

        File.ReadAllText(Path.Combine(dir, "notes.txt")).Should().Be("mine");
        Directory.GetDirectories(_root).Should().ContainSingle();
    }

    [Fact]
    public void Failure_midway_leaves_no_dir_and_no_temp_dir()
    {
        var dir = Path.Combine(_root, "run");
        var logs = new Dictionary<string, string> { ["l1.serial.log"] = Path.Combine(_root, "does-not-exist.log") };

        FluentActions.Invoking(() => ReportWriter.Write(dir, Sample(), logs)).Should().Throw<FileNotFoundException>();

        Directory.Exists(dir).Should().BeFalse();
        Directory.GetFileSystemEntries(_root).Should().BeEmpty();
    }

    [Fact]
    public void Failure_midway_keeps_an_existing_dir_untouched()
    {
        var dir = Path.Combine(_root, "run");
        ReportWriter.Write(dir, Sample("pass"), new Dictionary<string, string>());
        var logs = new Dictionary<string, string> { ["l2.serial.log"] = Path.Combine(_root, "missing.log") };

        FluentActions.Invoking(() => ReportWriter.Write(dir, Sample("fail"), logs)).Should().Throw<FileNotFoundException>();

        LabReport.Json.Deserialize(File.ReadAllText(Path.Combine(dir, "report.json"))).Verdict.Should().Be("pass");
        Directory.GetDirectories(_root).Should().ContainSingle();
    }

    [Theory]
    [InlineData("../escape.log")]
    [InlineData("sub/l1.log")]
    [InlineData("..")]
    public void Console_names_must_be_plain_file_names(string name)
    {
        var dir = Path.Combine(_root, "run");
        var logs = new Dictionary<string, string> { [name] = Console("x.log", "x") };

        FluentActions.Invoking(() => ReportWriter.Write(dir, Sample(), logs)).Should().Throw<ArgumentException>();
        Directory.Exists(dir).Should().BeFalse();
    }

    [Fact]
    public void Error_report_without_queues_or_flows_still_writes_every_file()
    {
        var dir = Path.Combine(_root, "run");
        var report = Sample("error", "boot-l1 failed: qemu exited with 1") with { Queues = [], FlowResults = [], Steps = [], Jain = 0, Evidence = null };

        ReportWriter.Write(dir, report, new Dictionary<string, string>());

        foreach (var file in new[] { "report.json", "junit.xml", "summary.md", "queue-shares.png" })
            File.Exists(Path.Combine(dir, file)).Should().BeTrue(file);
        LabReport.Json.Deserialize(File.ReadAllText(Path.Combine(dir, "report.json"))).Error.Should().Be("boot-l1 failed: qemu exited with 1");
        XDocument.Load(Path.Combine(dir, "junit.xml")).Descendants("error").Should().ContainSingle();
    }

    [Fact]
    public void Unknown_verdict_is_rejected() =>
        FluentActions.Invoking(() => ReportWriter.Write(Path.Combine(_root, "run"), Sample("maybe"), new Dictionary<string, string>()))
            .Should().Throw<ArgumentException>();

    [Fact]
    public void The_tunables_are_in_the_summary_and_report_json()
    {
        var report = Sample() with { Tunables = new Tunables(32, 100) };

        LabSummaryMarkdown.Render(report).Should().Contain("| Tunables | balance_threshold 32 packets per period, balance_period_ms 100 (dynamic and adaptive) |");
        LabReport.Json.Deserialize(LabReport.Json.Serialize(report)).Tunables.Should().Be(new Tunables(32, 100));
    }
}
