using FluentAssertions;
using Xunit;

namespace KmodBalance.Tests.Vocabulary;

public class FairnessTests
{
    [Theory]
    [InlineData(new[] { 1.0, 1.0, 1.0, 1.0 }, 1.0)]
    [InlineData(new[] { 1.0, 0.0, 0.0, 0.0 }, 0.25)]        // 1 / (4 * 1)
    [InlineData(new[] { 1.0, 2.0 }, 0.9)]                    // 9 / (2 * 5)
    [InlineData(new[] { 2.0, 1.0, 1.0, 0.0 }, 16.0 / 24.0)]  // 16 / (4 * 6)
    public void Jain_index(double[] x, double expected) =>
        Fairness.Jain(x).Should().BeApproximately(expected, 1e-12);

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

    /// <summary>0/0: no load is not evidence of a fair spread (the lab's verdicts rely on it); the
    /// simulator's "nothing to share is even" is its own rule (SimulationTests).</summary>
    [Theory]
    [InlineData(new[] { 0.0 })]
    [InlineData(new[] { 0.0, 0.0 })]
    [InlineData(new[] { 0.0, 0.0, 0.0 })]
    public void All_zero_gives_zero(double[] x) => Fairness.Jain(x).Should().Be(0);

    [Fact]
    public void Empty_negative_and_nan_throw()
    {
        FluentActions.Invoking(() => Fairness.Jain([])).Should().Throw<ArgumentException>();
        FluentActions.Invoking(() => Fairness.Jain([1, -1])).Should().Throw<ArgumentException>();
        FluentActions.Invoking(() => Fairness.Jain([1, double.NaN])).Should().Throw<ArgumentException>();
    }
}
