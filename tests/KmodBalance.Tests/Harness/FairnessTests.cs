using FluentAssertions;
using KmodBalance.Harness.Measurement;
using Xunit;

namespace KmodBalance.Tests.Harness;

public class FairnessTests
{
    [Fact]
    public void Equal_values_give_one() => Fairness.Jain([5, 5, 5, 5]).Should().BeApproximately(1.0, 1e-12);

    [Fact]
    public void One_value_with_everything_gives_one_over_n() => Fairness.Jain([0, 0, 12, 0]).Should().BeApproximately(0.25, 1e-12);

    [Fact]
    public void Known_mixed_case()
    {
        // (1+2+3+4)^2 / (4 * (1+4+9+16)) = 100 / 120
        Fairness.Jain([1, 2, 3, 4]).Should().BeApproximately(100.0 / 120.0, 1e-12);
    }

    [Fact]
    public void Scale_invariant() =>
        Fairness.Jain([0.1, 0.2, 0.3, 0.4]).Should().BeApproximately(Fairness.Jain([1000, 2000, 3000, 4000]), 1e-12);

    [Fact]
    public void All_zero_gives_zero() => Fairness.Jain([0, 0, 0]).Should().Be(0);

    [Fact]
    public void Empty_negative_and_nan_throw()
    {
        FluentActions.Invoking(() => Fairness.Jain([])).Should().Throw<ArgumentException>();
        FluentActions.Invoking(() => Fairness.Jain([1, -1])).Should().Throw<ArgumentException>();
        FluentActions.Invoking(() => Fairness.Jain([1, double.NaN])).Should().Throw<ArgumentException>();
    }
}
