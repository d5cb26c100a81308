using FluentAssertions;
using KmodBalance.Harness.Measurement;
using Xunit;

namespace KmodBalance.Tests.Harness;

public class InterruptsParserTests
{
    [Fact]
    public void Guest_capture_with_nic_at_virtio1_sums_cpu_columns_per_input_queue()
    {
        // Captured in a TCG guest whose first virtio device is a virtio-rng, so the NIC is virtio1.
        var after = InterruptsParser.ParseVirtioInputQueues(Fixture.Read("guest_virtio1_interrupts_after.txt"), 1);

        after.Should().Equal(new Dictionary<int, long> { [0] = 3, [1] = 2, [2] = 4, [3] = 0 });
    }

    [Fact]
    public void Wrong_virtio_index_finds_nothing()
    {
        InterruptsParser.ParseVirtioInputQueues(Fixture.Read("guest_virtio1_interrupts_after.txt"), 0).Should().BeEmpty();
    }

    [Fact]
    public void Host_capture_ignores_other_virtio_devices_and_unsuffixed_input_lines()
    {
        // This machine: virtio1-req.0 (blk), virtio2-input.0 (net), virtio4-input (no ".K": an input device).
        var text = Fixture.Read("host_proc_interrupts_virtio2.txt");

        InterruptsParser.ParseVirtioInputQueues(text, 2).Keys.Should().Equal(0);
        InterruptsParser.ParseVirtioInputQueues(text, 4).Should().BeEmpty();
        InterruptsParser.ParseVirtioInputQueues(text, 1).Should().BeEmpty();
    }

    [Fact]
    public void Blk_req_lines_next_to_nic_lines_are_not_counted()
    {
        const string text = """
                       CPU0       CPU1
             24:          5          0   PCI-MSI 16385-edge      virtio1-req.0
             25:          7          1   PCI-MSI 32769-edge      virtio0-input.0
             26:          3          0   PCI-MSI 32770-edge      virtio0-output.0
             27:          9          0   PCI-MSI 16386-edge      virtio1-req.1
            """;
        InterruptsParser.ParseVirtioInputQueues(text, 0).Should().Equal(new Dictionary<int, long> { [0] = 8 });
    }

    [Fact]
    public void Lines_with_fewer_columns_than_the_header_sum_only_their_counts()
    {
        // Hand-written: CPU hotplug left 3 count columns under a 4-CPU header; ERR has one column.
        const string text = """
                       CPU0       CPU1       CPU2       CPU3
             25:        100        200        300   PCI-MSI 32769-edge      virtio0-input.0
             27:         10         20   PCI-MSI 32771-edge      virtio0-input.1
            ERR:          0
            """;
        InterruptsParser.ParseVirtioInputQueues(text, 0).Should().Equal(new Dictionary<int, long> { [0] = 600, [1] = 30 });
    }

    [Fact]
    public void Missing_queue_lines_are_absent_and_crlf_is_accepted()
    {
        const string text = "           CPU0       CPU1\r\n 27:          4          5   PCI-MSI 32771-edge      virtio0-input.1\r\n";
        InterruptsParser.ParseVirtioInputQueues(text, 0).Should().Equal(new Dictionary<int, long> { [1] = 9 });
    }

    [Fact]
    public void Text_without_header_throws_FormatException()
    {
        var act = () => InterruptsParser.ParseVirtioInputQueues("ssh: connect to host 192.0.2.2 port 22: Connection refused", 0);
        act.Should().Throw<FormatException>().WithMessage("*header*");
    }
}
