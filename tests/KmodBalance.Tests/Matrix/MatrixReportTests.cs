using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using FluentAssertions;
using KmodBalance.Harness.Matrix;
using KmodBalance.Tests.Support;
using Xunit;

namespace KmodBalance.Tests.Matrix;

/// <summary>The matrix's renderings of a small fake cell list: a pass, a W=1 warning, a failed check
/// and a kernel that could not be fetched.</summary>
public class MatrixReportTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 1, 3, 0, 0, TimeSpan.Zero);

    public static MatrixCell Cell(string kernel, string policy, string build = StageVerdict.Pass, int? warnings = 0,
        string checkpatch = StageVerdict.Pass, string check = StageVerdict.Pass, string? error = null) =>
        new($"{kernel}-{policy}", kernel, policy, build == StageVerdict.Error ? null : $"{kernel}.0-1-cloud-amd64", "1.0-1", "gcc-12",
            build, build == StageVerdict.Pass ? warnings : null,
            warnings is > 0 ? ["tun.c:12:5: warning: no previous prototype for 'f' [-Wmissing-prototypes]"] : [],
            build == StageVerdict.Pass ? checkpatch : StageVerdict.Skipped,
            build == StageVerdict.Pass ? new CheckpatchTotals(0, checkpatch == StageVerdict.Pass ? 0 : 1, 0, 900) : null,
            build == StageVerdict.Pass ? check : StageVerdict.Skipped,
            check == StageVerdict.Skipped || build != StageVerdict.Pass ? null : 13,
            check == StageVerdict.Fail ? 1 : check == StageVerdict.Pass ? 0 : null,
            check == StageVerdict.Fail ? ["spread4/lone-flow-never-moved: fail - 40001 moved alone from q0 to q2"] : [],
            StageVerdict.Skipped, build == StageVerdict.Pass ? $"{kernel}.0-1-cloud-amd64 SMP mod_unload" : null,
            check == StageVerdict.Skipped || build != StageVerdict.Pass ? null : "OE",
            build == StageVerdict.Pass ? new string('a', 64) : null, T0, new CellTimes(0.2, 5, 0.6, 70, 0, 80), error);

    public static MatrixReport Fake() => new(MatrixReport.CurrentFormat, "0.1.0", "20261201T030000Z", T0, 400, Check: true, Run: false,
    [
        Cell("5.10", "hash"),
        Cell("5.10", "dynamic", warnings: 2),
        Cell("6.12", "dynamic", check: StageVerdict.Fail),
        Cell("6.12", "hash", build: StageVerdict.Error, error: "Linux 6.12 is not ready: apt-get download failed"),
    ]);

    [Fact]
    public void A_cell_passes_only_when_every_stage_it_ran_passed()
    {
        var cells = Fake().Cells;

        cells.Select(c => c.Verdict).Should().Equal(StageVerdict.Pass, StageVerdict.Fail, StageVerdict.Fail, StageVerdict.Error);
        Cell("6.1", "hash", checkpatch: StageVerdict.Fail).Passed.Should().BeFalse();
        Cell("6.1", "hash", check: StageVerdict.Skipped).Passed.Should().BeTrue("a check not asked for is not a failure");
        Cell("6.1", "hash", check: StageVerdict.Error).Verdict.Should().Be(StageVerdict.Error);
        Fake().ExitCode.Should().Be(1);
        (Fake() with { Cells = [Cell("5.10", "hash")] }).ExitCode.Should().Be(0);
        (Fake() with { Cells = [] }).ExitCode.Should().Be(1, "a matrix without cells proved nothing");
    }

    [Fact]
    public void Report_json_has_every_cell_with_the_fields_dashboards_read()
    {
        var json = JsonNode.Parse(Fake().ToJson())!;

        var cells = json["cells"]!.AsArray();
        cells.Select(c => $"{c!["kernel"]}-{c["policy"]}").Should().Equal("5.10-hash", "5.10-dynamic", "6.12-dynamic", "6.12-hash");
        foreach (var key in new[] { "kernel", "policy", "warnings", "checkpatch", "checkVerdict", "vermagic", "taint", "times" })
            cells.Should().OnlyContain(c => c!.AsObject().ContainsKey(key), key);
        cells[1]!["warnings"]!.GetValue<int>().Should().Be(2);
        cells[2]!["checkVerdict"]!.GetValue<string>().Should().Be("fail");
        MatrixReport.FromJson(Fake().ToJson()).Cells.Should().BeEquivalentTo(Fake().Cells);
    }

    [Fact]
    public void Summary_has_one_row_per_cell_and_names_the_problems()
    {
        var md = MatrixSummary.Render(Fake());
        var rows = md.Split('\n').Where(l => Regex.IsMatch(l, @"^\| (5\.10|6\.12) \|")).ToList();

        rows.Should().HaveCount(4);
        rows[0].Should().Contain("| 5.10 | hash |").And.Contain("| 0 |").And.Contain("OE");
        rows[1].Should().Contain("| 2 |");
        rows[2].Should().Contain("**fail (12 of 13)**");
        rows[3].Should().Contain("**error**");
        md.Should().StartWith("# KmodBalance kernel matrix: FAIL").And.Contain("1 of 4 cells passed");
        md.Should().Contain("- 6.12-hash: Linux 6.12 is not ready").And.Contain("- 5.10-dynamic: `tun.c:12:5: warning")
            .And.Contain("- 6.12-dynamic: check spread4/lone-flow-never-moved: fail - 40001 moved alone");
    }

    [Fact]
    public void Junit_has_a_testcase_per_cell_failed_or_errored_as_the_cell()
    {
        var suite = XDocument.Parse(MatrixJunit.Render(Fake())).Root!;
        var cases = suite.Elements("testcase").ToList();

        suite.Attribute("tests")!.Value.Should().Be("4");
        suite.Attribute("failures")!.Value.Should().Be("2");
        suite.Attribute("errors")!.Value.Should().Be("1");
        cases.Select(c => $"{c.Attribute("classname")!.Value}/{c.Attribute("name")!.Value}").Should()
            .Equal("kmb-matrix.5.10/hash", "kmb-matrix.5.10/dynamic", "kmb-matrix.6.12/dynamic", "kmb-matrix.6.12/hash");
        cases[0].Elements().Select(e => e.Name.LocalName).Should().Equal("system-out");
        cases[1].Element("failure")!.Value.Should().Contain("-Wmissing-prototypes");
        cases[2].Element("failure")!.Attribute("message")!.Value.Should().Contain("12 of 13 properties");
        cases[2].Element("failure")!.Value.Should().Contain("spread4/lone-flow-never-moved: fail");
        cases[3].Element("error")!.Value.Should().Contain("apt-get download failed");
    }

    [Fact]
    public void Kcidb_is_schema_v4_with_linked_ids_and_no_nulls()
    {
        var root = JsonNode.Parse(Kcidb.Render(Fake()))!.AsObject();

        root["version"]!["major"]!.GetValue<int>().Should().Be(4);
        var checkouts = root["checkouts"]!.AsArray();
        var builds = root["builds"]!.AsArray();
        var tests = root["tests"]!.AsArray();
        checkouts.Should().HaveCount(4);
        builds.Should().HaveCount(4);
        foreach (var o in checkouts.Concat(builds).Concat(tests))
        {
            o!["origin"]!.GetValue<string>().Should().Be(Kcidb.Origin);
            o["id"]!.GetValue<string>().Should().MatchRegex("^kmodbalance:.+$");
        }
        builds.Select(b => b!["checkout_id"]!.GetValue<string>()).Should().BeSubsetOf(checkouts.Select(c => c!["id"]!.GetValue<string>()));
        tests.Select(t => t!["build_id"]!.GetValue<string>()).Should().BeSubsetOf(builds.Select(b => b!["id"]!.GetValue<string>()));
        tests.Should().OnlyContain(t => Regex.IsMatch(t!["path"]!.GetValue<string>(), "^[.a-zA-Z0-9_-]*$"));
        tests.Select(t => t!["status"]!.GetValue<string>()).Should().OnlyContain(s => s == "PASS" || s == "FAIL" || s == "ERROR" || s == "SKIP");
        builds[3]!["valid"]!.GetValue<bool>().Should().BeFalse();
        tests.Should().HaveCount(9, "three tests per built cell (w1, checkpatch, check), none for the cell that never built");
        tests.Where(t => t!["id"]!.GetValue<string>().EndsWith("5.10-dynamic-w1")).Single()!["status"]!.GetValue<string>().Should().Be("FAIL");
        tests.Where(t => t!["id"]!.GetValue<string>().EndsWith("6.12-dynamic-check")).Single()!["status"]!.GetValue<string>().Should().Be("FAIL");
        Kcidb.Render(Fake()).Should().NotContain("null");
        Kcidb.PatchsetHash([new string('a', 64)]).Should().MatchRegex("^[0-9a-f]{64}$").And.NotBe(Kcidb.PatchsetHash([new string('b', 64)]));
    }

    [Fact]
    public async Task The_writer_puts_the_four_files_and_each_cells_evidence_in_the_staging_dir()
    {
        using var tmp = new TempDir();
        var work = tmp.Combine("work");
        Directory.CreateDirectory(System.IO.Path.Combine(work, "5.10-hash", "module"));
        Directory.CreateDirectory(System.IO.Path.Combine(work, "5.10-hash", "check", "raw"));
        File.WriteAllText(System.IO.Path.Combine(work, "5.10-hash", "checkpatch.txt"), "total: 0 errors, 0 warnings, 0 checks, 9 lines checked\n");
        File.WriteAllText(System.IO.Path.Combine(work, "5.10-hash", "module", "0001-tun-x.patch"), "patch\n");
        File.WriteAllText(System.IO.Path.Combine(work, "5.10-hash", "module", "tun.c"), "not in the report\n");
        File.WriteAllText(System.IO.Path.Combine(work, "5.10-hash", "check", "raw", "sticky.txt"), "raw\n");
        var staging = Directory.CreateDirectory(tmp.Combine("staging")).FullName;

        await MatrixReportWriter.WriteIntoAsync(staging, Fake() with { Cells = [Cell("5.10", "hash")] }, work);

        Directory.GetFiles(staging).Select(System.IO.Path.GetFileName).Should()
            .BeEquivalentTo(MatrixRun.OwnNames.Where(n => n != MatrixReportWriter.CellsDir));
        var cell = System.IO.Path.Combine(staging, MatrixReportWriter.CellsDir, "5.10-hash");
        File.Exists(System.IO.Path.Combine(cell, "checkpatch.txt")).Should().BeTrue();
        File.Exists(System.IO.Path.Combine(cell, "0001-tun-x.patch")).Should().BeTrue();
        File.Exists(System.IO.Path.Combine(cell, "check", "raw", "sticky.txt")).Should().BeTrue();
        File.Exists(System.IO.Path.Combine(cell, "tun.c")).Should().BeFalse("the report never holds the GPL source");
    }
}
