using FluentAssertions;
using KmodBalance.Harness.Compare;

namespace KmodBalance.Tests.Compare;

public class LabCompareOptionsTests
{
    [Fact]
    public void Defaults_are_the_thesis_experiment() =>
        new LabCompareOptions().Validate().Should().BeEmpty();

    [Theory]
    [InlineData("stock,hashh", "unknown policy 'hashh'")]
    [InlineData("hash,hash", "names 'hash' twice")]
    [InlineData("", "at least one")]
    public void Names_a_bad_policy_list(string policies, string expected) =>
        new LabCompareOptions { Policies = policies.Split(',', StringSplitOptions.RemoveEmptyEntries) }
            .Validate().Should().ContainSingle(e => e.Contains(expected));

    [Fact]
    public void Names_each_out_of_range_number()
    {
        var errors = new LabCompareOptions { Trials = 0, DurationSeconds = 0, Flows = 0, Queues = 9 }.Validate();

        errors.Should().HaveCount(4);
        errors.Should().Contain(e => e.StartsWith("--trials", StringComparison.Ordinal));
        errors.Should().Contain(e => e.StartsWith("--queues", StringComparison.Ordinal));
    }
}
