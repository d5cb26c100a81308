using FluentAssertions;
using KmodBalance.Harness.Infrastructure;
using KmodBalance.Harness.Lab.Steps;
using KmodBalance.Harness.Vm;
using Xunit;

namespace KmodBalance.Tests.Lab;

public class AccelProbeTests
{
    [Fact]
    public void No_dev_kvm_means_tcg()
    {
        var d = AccelProbe.Decide(new AccelProbeResult(false, false, "no /dev/kvm"), "runner");
        d.Accel.Should().Be(Accel.Tcg);
        d.Message.Should().Contain("no /dev/kvm").And.Contain("TCG");
    }

    [Fact]
    public void Dev_kvm_that_cannot_boot_a_kernel_means_tcg_with_the_reason()
    {
        // What this runner really does: qemu aborts setting an MSR.
        var probe = AccelProbe.Interpret(134, "", "qemu-system-x86_64: error: failed to set MSR 0x10a to 0x69\nAssertion failed");
        probe.KernelBooted.Should().BeFalse();
        var d = AccelProbe.Decide(probe, "runner");
        d.Accel.Should().Be(Accel.Tcg);
        d.Message.Should().Contain("failed to set MSR");
    }

    [Fact]
    public void Kernel_reaching_root_mount_means_kvm()
    {
        var probe = AccelProbe.Interpret(0, "[    0.9] VFS: Cannot open root device \"kmb-none\"\n[    0.9] Kernel panic - not syncing: VFS", "");
        AccelProbe.Decide(probe, "runner").Accel.Should().Be(Accel.Kvm);
    }

    [Fact]
    public void Hung_probe_means_tcg()
    {
        var probe = AccelProbe.Interpret(124, "SeaBIOS (version 1.16)", "");
        probe.Detail.Should().Contain("timed out");
        AccelProbe.Decide(probe, "runner").Accel.Should().Be(Accel.Tcg);
    }

    [Theory]
    [InlineData("KMB-ACCEL kvm\n", Accel.Kvm)]
    [InlineData("modprobe: noise\nKMB-ACCEL tcg no /dev/kvm in L1 (cpu flags: ; )\n", Accel.Tcg)]
    public void L1_probe_line_decides_the_L2_accelerator(string output, Accel expected) =>
        LabHostSteps.ParseAccelLine(output).Accel.Should().Be(expected);

    [Fact]
    public void Missing_L1_probe_line_is_an_error_naming_the_step() =>
        FluentActions.Invoking(() => LabHostSteps.ParseAccelLine("garbage")).Should()
            .Throw<LabStepException>().WithMessage("[l1-kvm]*");
}
