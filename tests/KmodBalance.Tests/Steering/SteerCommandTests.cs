using FluentAssertions;
using KmodBalance.Tests.Support;
using Xunit;

namespace KmodBalance.Tests.Steering;

/// <summary>`kmb steer` refuses bad input with exit 2 and one line, before it builds or attaches anything.</summary>
public sealed class SteerCommandTests
{
    [Theory]
    [InlineData(new[] { "steer", "no/such" }, "is not an interface name")]
    [InlineData(new[] { "steer", "tap0", "--policy", "adaptive" }, "implements dynamic")]
    [InlineData(new[] { "steer", "tap0", "--period-ms", "5" }, "--period-ms 5 is below")]
    [InlineData(new[] { "steer", "tap0", "--threshold", "-1" }, "--threshold -1 is out of range")]
    [InlineData(new[] { "steer", "tap0", "--duration", "0" }, "--duration 0")]
    [InlineData(new[] { "steer" }, "name the device")]
    [InlineData(new[] { "steer", "tap0", "--bench", "1000" }, "--bench takes a positive number of runs and no device")]
    [InlineData(new[] { "steer", "--bench", "0" }, "--bench takes a positive number of runs")]
    public async Task Bad_input_exits_2_with_one_line_naming_it(string[] args, string problem)
    {
        using var state = new TempDir();
        var run = await Processes.KmbAsync([.. args, "--state-dir", state.Combine("state")]);
        run.ExitCode.Should().Be(2, run.StandardError);
        run.StandardError.Trim().Split('\n').Should().ContainSingle().Which.Should().Contain(problem);
        Directory.Exists(state.Combine("state", "steer")).Should().BeFalse("nothing is built for a refused command");
    }
}
