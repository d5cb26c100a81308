using System.Xml.Linq;
using FluentAssertions;
using KmodBalance.Generator.Kernels;
using KmodBalance.Generator.Output;
using KmodBalance.Harness.Matrix;
using KmodBalance.Tests.Lab;
using KmodBalance.Tests.Support;
using Xunit.Abstractions;

namespace KmodBalance.Tests.Matrix;

/// <summary>
/// One non-6.1 cell of `kmb matrix` end to end, as CI runs it: Debian's 6.12 (fetched into the state
/// dir on the runner's first run, about 17 s and 200 MB, then cached), the dynamic module generated
/// from its tun.c, built with W=1 against its headers, its own checkpatch, then 6.12 booted as L1
/// (with its TCG flags) for the whole dynamic `lab check`. 94 s once fetched (measured here
/// 2026-12-01, load average 8). Not retried: a failed cell is a failed test. Needs root and setup/install-deps.sh's
/// packages; --filter Category=Lab (serial lab collection).
/// </summary>
[Trait("Category", "Lab")]
[Collection(LabCollection.Name)]
public sealed class MatrixIntegrationTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task A_6_12_dynamic_cell_builds_clean_loads_in_6_12_and_passes_its_check()
    {
        var reportDir = _dir.Combine("matrix");

        var run = await Processes.KmbAsync("matrix", "--kernels", "6.12", "--policies", "dynamic", "--check", "--report", reportDir);
        output.WriteLine(run.StandardOutput);
        output.WriteLine(run.StandardError);

        var report = MatrixReport.FromJson(await File.ReadAllTextAsync(Path.Combine(reportDir, MatrixReportWriter.JsonFile)));
        var cell = report.Cells.Should().ContainSingle().Subject;
        run.ExitCode.Should().Be(0, MatrixJunit.Describe(cell));
        run.StandardOutput.Should().Contain("MATRIX PASS cells=1 passed=1");
        var release = new KernelStore(StateDirectory.DefaultPath).Load(KernelGeneration.Linux6_12)!.Release;
        cell.Release.Should().Be(release);
        cell.Warnings.Should().Be(0);
        cell.CheckpatchTotals!.Clean.Should().BeTrue();
        cell.Vermagic.Should().StartWith(release + " ", "the module was built against 6.12's headers");
        cell.CheckVerdict.Should().Be(StageVerdict.Pass);
        cell.CheckFailed.Should().Be(0);
        cell.CheckProperties.Should().BeGreaterThan(0);
        cell.Taint.Should().Contain("O", "the module loaded in L1 as an out-of-tree module");

        var check = File.ReadAllText(Path.Combine(reportDir, MatrixReportWriter.CellsDir, cell.Id, "check", "report.json"));
        check.Should().Contain(release.Replace("+", "\\u002B", StringComparison.Ordinal), "L1 booted 6.12, not the installed kernel");
        File.ReadAllText(Path.Combine(reportDir, MatrixReportWriter.CellsDir, cell.Id, "check", "consoles", "l1.log"))
            .Should().Contain("Linux version " + release.Split('+')[0]).And.Contain("KMB-READY");
        XDocument.Load(Path.Combine(reportDir, MatrixReportWriter.JunitFile)).Descendants("testcase").Should().ContainSingle();
        File.ReadAllText(Path.Combine(reportDir, MatrixReportWriter.KcidbFile)).Should().Contain("\"status\": \"PASS\"");
        File.ReadAllText(Path.Combine(reportDir, MatrixReportWriter.SummaryFile)).Should().Contain("| 6.12 | dynamic |");
    }
}
