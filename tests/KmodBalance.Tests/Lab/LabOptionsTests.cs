using FluentAssertions;
using KmodBalance.Harness.Lab;
using Xunit;

namespace KmodBalance.Tests.Lab;

public class LabOptionsTests
{
    [Fact]
    public void Defaults_are_valid() => new LabOptions().Validate().Should().BeEmpty();

    [Theory]
    [InlineData(0, 10, 4, 0.1, "--flows")]
    [InlineData(4, 0, 4, 0.1, "--duration")]
    [InlineData(4, 10, 0, 0.1, "--queues")]
    [InlineData(4, 10, 9, 0.1, "--queues")]
    [InlineData(4, 10, 4, 1.5, "--min-share")]
    [InlineData(4, 10, 4, 0.3, "--min-share")] // 4 x 30 % > 100 %
    public void Bad_values_are_named(int flows, int duration, int queues, double minShare, string option) =>
        new LabOptions { Flows = flows, DurationSeconds = duration, Queues = queues, MinShare = minShare }
            .Validate().Should().ContainSingle().Which.Should().StartWith(option);

    [Fact]
    public void Allow_host_module_needs_host_topology() =>
        new LabOptions { AllowHostModule = true }.Validate().Should().ContainSingle().Which.Should().Contain("--topology host");

    [Fact]
    public async Task Invalid_options_exit_2_without_touching_anything()
    {
        var o = await new LabRun(new LabOptions { Flows = 0 }, new Progress<string>()).RunAsync(default);
        o.ExitCode.Should().Be(2);
        o.Error.Should().StartWith("[options]");
    }

    [Fact]
    public async Task Host_topology_is_refused_without_allow_host_module()
    {
        var dir = Directory.CreateTempSubdirectory("kmb-host-").FullName;
        try
        {
            var o = await new LabRun(new LabOptions { Topology = Topology.Host, ReportDir = Path.Combine(dir, "r") }, new Progress<string>()).RunAsync(default);
            o.ExitCode.Should().Be(2);
            o.Error.Should().StartWith("[topology]").And.Contain("--allow-host-module");
            File.Exists(Path.Combine(dir, "r", "report.json")).Should().BeTrue();
        }
        finally { Directory.Delete(dir, true); }
    }
}
