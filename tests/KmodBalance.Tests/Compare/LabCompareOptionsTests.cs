using FluentAssertions;
using KmodBalance.Harness.Compare;
using KmodBalance.Tests.Support;

namespace KmodBalance.Tests.Compare;

public class LabCompareOptionsTests
{
    [Fact]
    public void Defaults_are_the_thesis_experiment() =>
        new LabCompareOptions().Validate().Should().BeEmpty();

    [Fact]
    public void Names_a_bad_policy_list()
    {
        new LabCompareOptions { Policies = [Policy.Hash, Policy.Hash] }.Validate().Should().ContainSingle(e => e.Contains("names 'hash' twice"));
        new LabCompareOptions { Policies = [] }.Validate().Should().ContainSingle(e => e.Contains("at least one"));
    }

    /// <summary>Names are read where the command line is (the options hold policies): each unknown one is a line of
    /// the verb's refusal, beside any other problem of the options.</summary>
    [Theory]
    [InlineData("compare")]
    [InlineData("capacity")]
    public async Task The_cli_names_each_unknown_policy_and_exits_2_before_any_work(string verb)
    {
        using var dir = new TempDir();
        var run = await Processes.KmbAsync("lab", verb, "--policies", "stock,hashh,dynamic,bogus", "--trials", "0",
            "--state-dir", dir.Combine("state"), "--report", dir.Combine("report"));

        run.ExitCode.Should().Be(2, run.StandardError);
        run.StandardError.Trim().Split('\n').Should().Equal(
            $"kmb lab {verb}: --policies: unknown policy 'hashh' (known: stock, hash, dynamic or adaptive)",
            $"kmb lab {verb}: --policies: unknown policy 'bogus' (known: stock, hash, dynamic or adaptive)",
            $"kmb lab {verb}: --trials must be between 1 and 200");
        Directory.Exists(dir.Combine("state")).Should().BeFalse("nothing is built for a refused command");
    }

    [Fact]
    public void Names_each_out_of_range_number()
    {
        var errors = new LabCompareOptions { Trials = 0, DurationSeconds = 0, Flows = 0, Queues = 9 }.Validate();

        errors.Should().HaveCount(4);
        errors.Should().Contain(e => e.StartsWith("--trials", StringComparison.Ordinal));
        errors.Should().Contain(e => e.StartsWith("--queues", StringComparison.Ordinal));
    }
}
