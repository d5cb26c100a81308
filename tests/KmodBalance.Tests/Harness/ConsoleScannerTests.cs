using FluentAssertions;
using KmodBalance.Harness.Measurement;
using Xunit;

namespace KmodBalance.Tests.Harness;

public class ConsoleScannerTests
{
    [Fact]
    public void Captured_clean_boot_is_clean() =>
        ConsoleScanner.FindKernelFailure(Fixture.Read("guest_console_clean.log")).Should().BeNull();

    [Fact]
    public void Benign_lines_are_clean()
    {
        const string log = """
            [    0.000000] Linux version 6.1.0-56-cloud-amd64
            [    1.234567] tun: loading out-of-tree module taints kernel.
            [    1.234600] tun: module verification failed: signature and/or required key missing - tainting kernel
            [    2.000000] kvm: SMP vm created on host with unstable TSC; guest TSC will not be reliable
            [    2.100000] rcu: Hierarchical RCU implementation.
            KMB-READY uptime=5.42
            """;
        ConsoleScanner.FindKernelFailure(log).Should().BeNull();
    }

    [Theory]
    [InlineData("[   88.1] rcu: INFO: rcu_preempt self-detected stall on CPU")]
    [InlineData("[   90.2] watchdog: BUG: soft lockup - CPU#2 stuck for 44s! [mqtap:171]")]
    [InlineData("[   12.0] BUG: kernel NULL pointer dereference, address: 0000000000000008")]
    [InlineData("[   12.1] Oops: 0002 [#1] PREEMPT SMP NOPTI")]
    [InlineData("[   13.0] Kernel panic - not syncing: Fatal exception in interrupt")]
    [InlineData("[   14.0] WARNING: CPU: 1 PID: 171 at drivers/net/tun.c:1234 tun_get_user+0x1a/0x2b0 [tun]")]
    [InlineData("[   15.0] INFO: rcu_sched detected stalls on CPUs/tasks:")]
    [InlineData("[  240.0] INFO: task mqtap:171 blocked for more than 120 seconds.")]
    [InlineData("[   16.0] general protection fault, probably for non-canonical address 0xdead000000000100")]
    public void Failure_lines_are_found(string failureLine)
    {
        var log = string.Join('\n', Enumerable.Range(1, 20).Select(i => $"[    {i}.0] line {i}"))
                  + "\n" + failureLine + "\n"
                  + string.Join('\n', Enumerable.Range(22, 30).Select(i => $"[    {i}.0] line {i}"));

        var failure = ConsoleScanner.Scan(log);

        failure.Should().NotBeNull();
        failure!.LineNumber.Should().Be(21);
        failure.Line.Should().Be(failureLine);
        var excerpt = failure.Excerpt.Split('\n');
        excerpt.Should().HaveCount(ConsoleScanner.LinesBefore + 1 + ConsoleScanner.LinesAfter);
        excerpt.Should().Contain(failureLine).And.Contain("[    18.0] line 18").And.NotContain("[    17.0] line 17");
        ConsoleScanner.FindKernelFailure(log).Should().Be(failure.Excerpt);
    }

    [Fact]
    public void Soft_lockup_log_excerpt_starts_at_the_first_failure_and_handles_crlf()
    {
        // Hand-written after the soft lockup described in the lab report.
        const string log = "[  40.1] random: crng init done\r\n" +
                           "[  88.1] rcu: INFO: rcu_preempt self-detected stall on CPU\r\n" +
                           "[  88.1] rcu: \t2-....: (5249 ticks this GP) idle=0d4c/1/0x4000000000000000\r\n" +
                           "[  90.2] watchdog: BUG: soft lockup - CPU#2 stuck for 44s! [mqtap:171]\r\n";

        var failure = ConsoleScanner.Scan(log)!;

        failure.LineNumber.Should().Be(2);
        failure.Excerpt.Should().StartWith("[  40.1] random").And.Contain("soft lockup").And.NotContain("\r");
    }
}

public class ConsoleScannerBootWarningTests
{
    [Fact]
    public void A_boot_time_cpu_feature_warning_outside_networking_is_not_a_failure()
    {
        // Seen on every nested-KVM L2 boot here: QEMU's emulated CPU reports an XSAVE size the kernel disagrees with.
        var log = "[    2.27] ------------[ cut here ]------------\n" +
                  "[    2.27] XSAVE consistency problem: size 2696 != kernel_size 576\n" +
                  "[    2.28] WARNING: CPU: 0 PID: 0 at arch/x86/kernel/fpu/xstate.c:606 fpu__init_system_xstate+0x85a/0xb19\n";

        KmodBalance.Harness.Measurement.ConsoleScanner.FindKernelFailure(log).Should().BeNull();
    }
}
