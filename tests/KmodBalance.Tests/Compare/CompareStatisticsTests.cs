using FluentAssertions;
using KmodBalance.Harness.Compare;
using static KmodBalance.Tests.Compare.TrialFactory;

namespace KmodBalance.Tests.Compare;

public class CompareStatisticsTests
{
    [Fact]
    public void Summary_has_sample_deviation_and_student_t_interval()
    {
        var s = CompareStatistics.Summarise("hash", [Measured("hash", 1, 100), Measured("hash", 2, 110), Measured("hash", 3, 120)], 4);

        s.MeanMbps.Should().BeApproximately(110, 1e-9);
        s.StdDevMbps.Should().BeApproximately(10, 1e-9);
        s.MinMbps.Should().Be(100);
        s.MaxMbps.Should().Be(120);
        // t(0.975, 2) = 4.3027: half width 4.3027 * 10 / sqrt(3) = 24.84
        s.MeanCi95.Low.Should().BeApproximately(85.159, 1e-3);
        s.MeanCi95.High.Should().BeApproximately(134.841, 1e-3);
    }

    [Fact]
    public void Failed_trials_and_other_policies_do_not_enter_the_figures_but_are_counted()
    {
        var s = CompareStatistics.Summarise("hash",
            [Measured("hash", 1, 100, queuesUsed: 4), Failed("hash", 2), Measured("hash", 3, 200, queuesUsed: 3), Measured("dynamic", 1, 999)], 4);

        s.Trials.Should().Be(3);
        s.Measured.Should().Be(2);
        s.MeanMbps.Should().Be(150);
        s.AllQueuesUsedShare.Should().Be(0.5);
    }

    [Fact]
    public void Mean_migrations_exist_only_for_a_module_with_a_balancer()
    {
        CompareStatistics.Summarise("dynamic", [Measured("dynamic", 1, 1, migrations: 3), Measured("dynamic", 2, 1, migrations: 0)], 4)
            .MeanMigrations.Should().Be(1.5);
        CompareStatistics.Summarise("hash", [Measured("hash", 1, 1), Measured("hash", 2, 1)], 4).MeanMigrations.Should().BeNull();
    }

    [Fact]
    public void One_trial_has_no_interval()
    {
        var s = CompareStatistics.Summarise("stock", [Measured("stock", 1, 100)], 4);

        s.MeanCi95.Low.Should().BeNull();
        s.StdDevMbps.Should().Be(0);
    }

    [Fact]
    public void No_measured_trial_gives_zero_figures_not_an_exception()
    {
        var s = CompareStatistics.Summarise("stock", [Failed("stock", 1)], 4);

        s.Measured.Should().Be(0);
        s.MeanMbps.Should().Be(0);
        s.MeanCi95.High.Should().BeNull();
    }

    [Fact]
    public void Ratio_interval_uses_the_delta_method_with_welch_degrees_of_freedom()
    {
        var dynamic = new PolicySummary("dynamic", 4, 4, 120, 12, 0, 0, new Interval(null, null), 1, 1, 0);
        var hash = new PolicySummary("hash", 4, 4, 100, 10, 0, 0, new Interval(null, null), 1, 1, 0);

        var r = CompareStatistics.Ratio(dynamic, hash);

        // relative variances 0.0025 each, df = 6, t(0.975, 6) = 2.4469: half width 2.4469 * 1.2 * sqrt(0.005)
        r.Ratio.Should().BeApproximately(1.2, 1e-12);
        r.Ci95.Low.Should().BeApproximately(0.99237, 1e-4);
        r.Ci95.High.Should().BeApproximately(1.40763, 1e-4);
    }

    [Fact]
    public void Ratio_over_a_zero_mean_is_not_a_number_and_has_no_interval()
    {
        var dynamic = new PolicySummary("dynamic", 2, 2, 120, 12, 0, 0, new Interval(null, null), 1, 1, 0);
        var hash = new PolicySummary("hash", 2, 0, 0, 0, 0, 0, new Interval(null, null), 0, 0, 0);

        var r = CompareStatistics.Ratio(dynamic, hash);

        r.Ratio.Should().Be(double.NaN);
        r.Ci95.Low.Should().BeNull();
    }

    [Fact]
    public void Dynamic_is_compared_with_hash_first_then_the_others()
    {
        var summaries = new[] { "stock", "hash", "dynamic" }
            .Select(p => new PolicySummary(p, 2, 2, 100, 1, 0, 0, new Interval(null, null), 1, 1, 0)).ToList();

        CompareStatistics.DynamicRatios(summaries).Select(r => (r.Numerator, r.Denominator))
            .Should().Equal(("dynamic", "hash"), ("dynamic", "stock"));
        CompareStatistics.DynamicRatios(summaries.Where(s => s.Policy != "dynamic").ToList()).Should().BeEmpty();
    }
}
