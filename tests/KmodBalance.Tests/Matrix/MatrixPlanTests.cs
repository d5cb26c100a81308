using FluentAssertions;
using KmodBalance.Harness.Matrix;
using Xunit;

namespace KmodBalance.Tests.Matrix;

public class MatrixPlanTests
{
    [Fact]
    public void Cells_are_kernel_major_in_the_order_given()
    {
        var (plan, errors) = MatrixPlan.Parse("6.12, 5.10,6.1", "dynamic,hash", check: true, run: false);

        errors.Should().BeEmpty();
        plan!.Cells.Select(c => c.Id).Should().Equal("6.12-dynamic", "6.12-hash", "5.10-dynamic", "5.10-hash", "6.1-dynamic", "6.1-hash");
        plan.Check.Should().BeTrue();
        plan.Run.Should().BeFalse();
    }

    [Fact]
    public void Every_generator_policy_but_stock_is_taken()
    {
        MatrixPlan.Policies.Should().BeEquivalentTo(Enum.GetValues<Policy>().Where(p => p != Policy.Stock));
        var all = string.Join(',', MatrixPlan.Policies.Select(p => p.Name()));

        var (plan, _) = MatrixPlan.Parse("5.10", all.ToUpperInvariant(), false, false);

        plan!.Cells.Select(c => c.Policy).Should().Equal(MatrixPlan.Policies);
    }

    [Theory]
    [InlineData("5.9", "hash", "unsupported kernel generation '5.9'")]
    [InlineData("5.10", "stock", "unknown policy 'stock'")]
    [InlineData("5.10", "hash,fancy", "unknown policy 'fancy'")]
    [InlineData("5.10,v5.10", "hash", "--kernels names 5.10 twice")]
    [InlineData("5.10", "hash,hash", "--policies names hash twice")]
    [InlineData(" , ", "hash", "--kernels must name at least one")]
    [InlineData("6.1", "", "--policies must name at least one")]
    public void Bad_lists_are_refused_naming_the_value(string kernels, string policies, string message)
    {
        var (plan, errors) = MatrixPlan.Parse(kernels, policies, false, false);

        plan.Should().BeNull();
        errors.Should().ContainSingle(e => e.Contains(message));
    }

    [Fact]
    public void Eta_is_the_mean_of_the_done_cells_times_the_remaining_ones()
    {
        MatrixEta.Estimate([], 6).Should().BeNull("nothing is known before the first cell");
        MatrixEta.Estimate([100, 60], 4).Should().Be(TimeSpan.FromSeconds(320));
        MatrixEta.Format(TimeSpan.FromSeconds(320)).Should().Be("5m20s");
        MatrixEta.Format(TimeSpan.FromSeconds(3 * 3600 + 125)).Should().Be("3h02m");
    }

    [Theory]
    [InlineData("KMB-TUN srcversion=ABC taint=OE", "OE")]
    [InlineData("KMB-TUN srcversion= taint=", "")]
    [InlineData("KMB-TUN srcversion=ABC", null)]
    public void Taint_is_read_from_the_load_line(string line, string? taint) =>
        MatrixRun.TaintOf(line).Should().Be(taint);

    [Fact]
    public void Checkpatch_totals_are_read_from_the_last_total_line()
    {
        const string strict = "WARNING: line length of 101 exceeds 100 columns\n#12: FILE: drivers/net/tun.c:1:\n\n" +
                              "total: 1 errors, 2 warnings, 3 checks, 910 lines checked\n\nNOTE: For some of the reported defects...\n";
        Checkpatch.ParseTotals(strict).Should().Be(new CheckpatchTotals(1, 2, 3, 910));
        Checkpatch.ParseTotals("total: 0 errors, 0 warnings, 302 lines checked\n").Should().Be(new CheckpatchTotals(0, 0, 0, 302));
        Checkpatch.ParseTotals("total: 0 errors, 0 warnings, 0 checks, 302 lines checked").Should().Match<CheckpatchTotals>(t => t.Clean);
        Checkpatch.ParseTotals("Can't open patch\n").Should().BeNull();
    }
}
