using FluentAssertions;
using KmodBalance.Harness.Matrix;
using KmodBalance.Harness.Reporting;
using Xunit;

namespace KmodBalance.Tests.Harness;

/// <summary>The one verdict-to-exit-code rule every judging verb uses (docs/ERRORS.md).</summary>
public class ExitCodesTests
{
    [Theory]
    [InlineData(LabVerdicts.Pass, 0)]
    [InlineData(LabVerdicts.Complete, 0)]
    [InlineData(LabVerdicts.Fail, 1)]
    [InlineData(LabVerdicts.Incomplete, 1)]
    [InlineData(LabVerdicts.Error, 2)]
    public void A_verdict_maps_to_the_documented_exit_code(string verdict, int exit) =>
        ExitCodes.ForVerdict(verdict).Should().Be(exit);

    [Theory]
    [InlineData("PASS")]
    [InlineData("skipped")]
    [InlineData("")]
    public void A_word_that_is_no_verdict_is_refused_rather_than_guessed(string word) =>
        ((Action)(() => ExitCodes.ForVerdict(word))).Should().Throw<ArgumentException>();

    [Fact]
    public void A_matrix_that_could_not_finish_a_cell_exits_1_as_for_a_fail()
    {
        var report = new MatrixReport(MatrixReport.CurrentFormat, "test", "run", DateTimeOffset.UnixEpoch, 1, false, false, []);
        report.Verdict.Should().Be(StageVerdict.Error);
        report.ExitCode.Should().Be(ExitCodes.Failed);
    }
}

/// <summary>The verdict of the verbs that measure trials (compare, capacity).</summary>
public class TrialVerdictTests
{
    [Theory]
    [InlineData(false, new[] { true, true }, LabVerdicts.Complete)]
    [InlineData(false, new[] { true, false }, LabVerdicts.Incomplete)]
    [InlineData(false, new bool[0], LabVerdicts.Error)]
    [InlineData(true, new[] { true, true }, LabVerdicts.Error)]
    public void Trials_give_complete_incomplete_or_error(bool brokeOff, bool[] measured, string verdict) =>
        LabVerdicts.OfTrials(brokeOff, measured).Should().Be(verdict);
}
