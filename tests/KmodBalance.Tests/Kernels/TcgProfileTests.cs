using FluentAssertions;
using KmodBalance.Generator.Build;
using KmodBalance.Harness.Lab.Steps;
using KmodBalance.Harness.Vm;
using Xunit;

namespace KmodBalance.Tests.Kernels;

/// <summary>The kernel generation decides how TCG runs it (QemuCommand.cs), for L1 and for L2.</summary>
public class TcgProfileTests
{
    private static List<string> L1(string release) =>
        BootL1Step.Command(Accel.Tcg, new InstalledKernel(release, $"/k/vmlinuz-{release}", $"/k/lib/modules/{release}"), "/img/l1.cpio", "kmbtap0")
            .Arguments().ToList();

    private static string After(List<string> a, string flag) => a[a.IndexOf(flag) + 1];

    [Theory]
    [InlineData("5.10.0-46-cloud-amd64")]
    [InlineData("6.1.0-57-cloud-amd64")]
    public void Kernels_before_6_12_keep_multithreaded_tcg_and_all_of_cpu_max(string release)
    {
        var a = L1(release);
        After(a, "-accel").Should().Be("tcg,thread=multi");
        After(a, "-cpu").Should().Be("max");
    }

    [Theory]
    [InlineData("6.12.95+deb12-cloud-amd64")]
    [InlineData("6.16.3-cloud-amd64")]
    [InlineData("7.0.0-1-cloud-amd64")]
    public void Kernels_from_6_12_run_single_threaded_without_cx16(string release)
    {
        var a = L1(release);
        After(a, "-accel").Should().Be("tcg,thread=single");
        After(a, "-cpu").Should().Be("max,cx16=off");
        After(a, "-kernel").Should().Be($"/k/vmlinuz-{release}", "L1 boots the kernel it was given");
    }

    [Fact]
    public void L2_under_tcg_follows_its_kernel_and_under_kvm_takes_the_host_cpu()
    {
        var tcg = BootL2Step.Command(Accel.Tcg, 4, "6.12.95+deb12-cloud-amd64").Arguments().ToList();
        After(tcg, "-cpu").Should().Be("max,cx16=off");
        After(tcg, "-accel").Should().Be("tcg,thread=single");
        var kvm = BootL2Step.Command(Accel.Kvm, 4, "6.12.95+deb12-cloud-amd64").Arguments().ToList();
        After(kvm, "-accel").Should().Be("kvm");
        After(kvm, "-cpu").Should().Be("host");
    }

    [Theory]
    [InlineData("6.12.95+deb12-cloud-amd64", 6, 12)]
    [InlineData("5.10.0-46-cloud-amd64", 5, 10)]
    [InlineData("6.1.0-57-cloud-amd64", 6, 1)]
    [InlineData("6.1-rc3", 6, 1)]
    public void Version_is_read_from_the_release(string release, int major, int minor) =>
        TcgProfile.ParseVersion(release).Should().Be(new Version(major, minor));

    [Theory]
    [InlineData("debug")]
    [InlineData("")]
    [InlineData("x.y")]
    public void A_release_without_a_version_gets_the_default(string release)
    {
        TcgProfile.ParseVersion(release).Should().BeNull();
        TcgProfile.ForKernel(release).Should().Be(TcgProfile.Default);
    }
}
