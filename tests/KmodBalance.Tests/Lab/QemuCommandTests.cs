using KmodBalance.Generator.Build;
using FluentAssertions;
using KmodBalance.Harness.Lab.Steps;
using KmodBalance.Harness.Vm;
using Xunit;

namespace KmodBalance.Tests.Lab;

public class QemuCommandTests
{
    [Fact]
    public void L2_under_kvm_gets_a_multi_queue_virtio_net_with_2N_plus_2_vectors()
    {
        var a = BootL2Step.Command(Accel.Kvm, 4, "6.1.0-57-cloud-amd64").Arguments();
        string After(string flag) => a[a.ToList().IndexOf(flag) + 1];
        After("-accel").Should().Be("kvm");
        After("-cpu").Should().Be("host");
        After("-smp").Should().Be("4");
        After("-netdev").Should().Be("tap,id=n0,ifname=ltap0,script=no,downscript=no,queues=4,vhost=off");
        After("-device").Should().Contain("mq=on").And.Contain("vectors=10");
        After("-pidfile").Should().Be(BootL2Step.PidFile);
        a.Should().NotContain("-daemonize", "a daemonized QEMU's stderr, where it says why it stopped, goes to /dev/null");
    }

    [Fact]
    public void L1_under_tcg_uses_multithreaded_tcg_and_a_single_queue_tap()
    {
        var a = BootL1Step.Command(Accel.Tcg, new InstalledKernel("6.1.0-57-cloud-amd64", "/boot/vmlinuz-x", "/lib/modules/x"), "/img/l1.cpio", "kmbtap0").Arguments().ToList();
        a.Should().ContainInOrder("-accel", "tcg,thread=multi", "-cpu", "max", "-smp", "2", "-m", "2048");
        a[a.IndexOf("-netdev") + 1].Should().NotContain("queues");
        a[a.IndexOf("-device") + 1].Should().NotContain("mq=on");
        a[a.IndexOf("-serial") + 1].Should().Be("stdio");
    }

    [Theory]
    [InlineData(1, 4)]
    [InlineData(2, 6)]
    [InlineData(8, 18)]
    public void Vector_count_follows_queues(int queues, int vectors)
    {
        var a = BootL2Step.Command(Accel.Tcg, queues, "6.1.0-57-cloud-amd64").Arguments();
        var device = a[a.ToList().IndexOf("-device") + 1];
        if (queues == 1) device.Should().NotContain("vectors");
        else device.Should().Contain($"vectors={vectors}");
    }

    [Fact]
    public void Shell_line_quotes_the_kernel_command_line()
    {
        var line = BootL2Step.Command(Accel.Kvm, 4, "6.1.0-57-cloud-amd64").ShellLine();
        line.Should().StartWith("qemu-system-x86_64 -name kmb-l2 ");
        line.Should().Contain("-append 'console=ttyS0 loglevel=5 panic=-1 mitigations=off kmb.ip=198.51.100.2/24'");
        QemuCommand.ShellQuote("it's").Should().Be("'it'\\''s'");
    }

    [Theory]
    [InlineData("ALIVE\nBYTES 18234\n", 18234L)]
    [InlineData("KMB-READY uptime=3\nALIVE\nBYTES 0", 0L)]
    [InlineData("ALIVE\nBYTES \n", null)]
    [InlineData("", null)]
    public void The_boot_poll_reports_how_much_l2_has_printed(string poll, long? bytes) =>
        BootL2Step.ParseBytes(poll).Should().Be(bytes);
}
