using FluentAssertions;
using KmodBalance.Harness.Measurement;
using Xunit;

namespace KmodBalance.Tests.Harness;

public class VirtioIndexTests
{
    [Fact]
    public void Captured_readlink_output() =>
        VirtioIndex.Parse(Fixture.Read("guest_readlink_eth0_device.txt")).Should().Be(1);

    [Theory]
    [InlineData("../../../virtio0", 0)]
    [InlineData("../../../virtio12\n", 12)]
    [InlineData("/sys/devices/pci0000:00/0000:00:03.0/virtio2", 2)]
    [InlineData("/sys/devices/pci0000:00/0000:00:03.0/virtio2/", 2)]
    public void Parses_trailing_virtio_segment(string link, int expected) => VirtioIndex.Parse(link).Should().Be(expected);

    [Theory]
    [InlineData("")]
    [InlineData("../../../0000:00:03.0")]
    [InlineData("readlink: /sys/class/net/eth0/device: No such file or directory")]
    [InlineData("/sys/devices/virtio1/net")]
    public void Rejects_non_virtio_links(string link) =>
        FluentActions.Invoking(() => VirtioIndex.Parse(link)).Should().Throw<FormatException>();
}
