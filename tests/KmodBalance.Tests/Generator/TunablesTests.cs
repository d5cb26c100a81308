using FluentAssertions;
using KmodBalance.Generator;

namespace KmodBalance.Tests.Generator;

public class TunablesTests
{
    [Theory]
    [InlineData(64, 200)]
    [InlineData(0, 10)]
    [InlineData(4294967295, 60000)]
    public void Accepts_values_in_range(long threshold, long period)
    {
        new Tunables(threshold, period).Validated().Should().Be(new Tunables(threshold, period));
    }

    [Theory]
    [InlineData(-1, 200, "--threshold -1*segments per period*")]
    [InlineData(4294967296, 200, "--threshold*out of range*")]
    [InlineData(64, 0, "--period-ms 0 is not positive*")]
    [InlineData(64, -5, "--period-ms -5 is not positive*")]
    [InlineData(64, 9, "--period-ms 9 is below the 10 ms floor*")]
    [InlineData(64, 60001, "--period-ms 60001 is above the 60000 ms ceiling*")]
    public void Refuses_bad_values_instead_of_clamping(long threshold, long period, string message)
    {
        var validate = () => new Tunables(threshold, period).Validated();

        validate.Should().Throw<KmbException>().WithMessage(message).Where(e => e.ExitCode == 2);
    }
}
