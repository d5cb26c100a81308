using FluentAssertions;
using KmodBalance.Harness.Check;
using KmodBalance.Harness.Reporting;

namespace KmodBalance.Tests.Check;

/// <summary>The stress judge on a short stress captured in L1 (production 6.1 kernel, dynamic module: every step
/// passed, no kmemleak there), then on the same output with one thing broken, and on consoles with splats.</summary>
public sealed class StressJudgeTests
{
    private static readonly string Captured = CheckFixture.Read(Path.Combine("stress", "l1_dynamic_short.txt"));

    private static IReadOnlyList<PropertyVerdict> Judge(string raw, string console = "") =>
        StressJudge.Judge(StressOutput.Parse(raw), StressPlan.Short, console);

    private static PropertyVerdict Only(string raw, string property, string console = "") => Judge(raw, console).Single(v => v.Property == property);

    /// <summary>The captured output with the kmemleak steps as the debug kernel prints them when nothing leaked.</summary>
    private static string WithCleanLeaks(string raw) =>
        raw.Replace("KMB-STEP name=kmemleak-after-delete rc=98", "unreferenced=0\n--- from tun\n--- end\nKMB-STEP name=kmemleak-after-delete rc=0", StringComparison.Ordinal)
           .Replace("KMB-STEP name=kmemleak rc=98", "unreferenced=3\n--- from tun\n--- end\nKMB-STEP name=kmemleak rc=0", StringComparison.Ordinal);

    [Fact]
    public void The_captured_short_stress_parses_into_its_steps_in_order()
    {
        var output = StressOutput.Parse(Captured);
        output.Balancer.Should().BeTrue();
        output.Dynamic.Should().BeTrue();
        output.Ended.Should().BeTrue();
        output.Steps.Select(s => s.Name).Should().Equal(
            "detach", "tunables", "flood", "ebpf", "delete", "kmemleak-after-delete", "rmmod-after-delete", "netconsole", "kmemleak", "rmmod");
        output.Step("detach")!.Number("detach_cycles").Should().Be(StressPlan.Short.DetachCycles);
    }

    [Fact]
    public void Every_step_of_the_captured_stress_passes_and_kmemleak_is_an_error_without_a_debug_kernel()
    {
        var verdicts = Judge(Captured);
        verdicts.Should().HaveCount(9);
        verdicts.Where(v => v.Property != "kmemleak-nothing-from-tun").Should().OnlyContain(v => v.Verdict == LabVerdicts.Pass);
        Only(Captured, "kmemleak-nothing-from-tun").Verdict.Should().Be(LabVerdicts.Error);
        Judge(WithCleanLeaks(Captured)).Should().OnlyContain(v => v.Verdict == LabVerdicts.Pass);
    }

    [Fact]
    public void The_full_stress_captured_on_the_debug_kernel_passes_with_stock_tuns_own_lockdep_report_named()
    {
        var raw = CheckFixture.Read(Path.Combine("stress", "l1_dynamic_debug_full.txt"));
        var console = CheckFixture.Read(Path.Combine("stress", "debug_console_stock_netpoll.txt"));
        var verdicts = StressJudge.Judge(StressOutput.Parse(raw), new StressPlan(), console);
        verdicts.Should().OnlyContain(v => v.Verdict == LabVerdicts.Pass);
        StressJudge.FindSplats(console).Should().ContainSingle().Which.Known!.Name.Should().Be("stock-tun-netpoll-producer-lock");
        // the same report without the lock it names is no longer stock's: it fails
        Only(raw, "debug-console-clean", console.Replace("target_list_lock", "some_other_lock", StringComparison.Ordinal))
            .Verdict.Should().Be(LabVerdicts.Fail);
    }

    /// <summary>The same stock defect in lockdep's other wording, as CI's L1 printed it when netconsole's first line
    /// went through tun before any sender's datagram (the chain, not the heading, names it).</summary>
    [Fact]
    public void Stock_tuns_netpoll_report_is_known_in_its_irq_inversion_wording_too()
    {
        const string inversion = """
            [  128.239289] ========================================================
            [  128.241253] WARNING: possible irq lock inversion dependency detected
            [  128.241253] 6.1.192-kmbdebug #1 Tainted: G           O
            [  128.241253] --------------------------------------------------------
            [  128.241253] udpflows/231 just changed the state of lock:
            [  128.241253] ff110000021268a0 (&r->producer_lock){+...}-{2:2}, at: tun_net_xmit+0x538/0x14e0 [tun]
            [  128.241253] but this lock was taken by another, HARDIRQ-safe lock in the past:
            [  128.241253]  (console_owner){-...}-{0:0}
            [  128.241253] Chain exists of:
            [  128.241253]   console_owner --> target_list_lock --> &r->producer_lock
            """;
        StressJudge.FindSplats(inversion).Should().ContainSingle().Which.Known!.Name.Should().Be("stock-tun-netpoll-producer-lock");
        StressJudge.FindSplats(inversion.Replace("target_list_lock", "tun_balance_lock", StringComparison.Ordinal))
            .Should().ContainSingle().Which.Known.Should().BeNull("a chain through another lock is not stock's");
    }

    [Fact]
    public void A_refused_detach_fails()
    {
        var broken = Captured.Replace("detach_errors=0", "detach_errors=1", StringComparison.Ordinal);
        Only(broken, "queues-detached-and-attached-under-traffic").Verdict.Should().Be(LabVerdicts.Fail);
    }

    [Fact]
    public void Churn_without_traffic_fails()
    {
        var broken = Captured.Replace("churn_after_frames=200", "churn_after_frames=0", StringComparison.Ordinal);
        Only(broken, "queues-detached-and-attached-under-traffic").Verdict.Should().Be(LabVerdicts.Fail);
        Only(broken, "steering-ebpf-set-and-removed-under-traffic").Verdict.Should().Be(LabVerdicts.Fail);
    }

    [Fact]
    public void Fewer_cycles_than_planned_fail()
    {
        var broken = Captured.Replace("ebpf_cycles=10", "ebpf_cycles=9", StringComparison.Ordinal);
        Only(broken, "steering-ebpf-set-and-removed-under-traffic").Verdict.Should().Be(LabVerdicts.Fail);
    }

    [Fact]
    public void Flows_left_in_the_table_after_the_flood_fail()
    {
        var broken = Captured.Replace("aged-out flows=0", "aged-out flows=17", StringComparison.Ordinal);
        Only(broken, "flood-then-every-flow-ages-out").Verdict.Should().Be(LabVerdicts.Fail);
    }

    [Fact]
    public void A_failed_rmmod_or_an_unfinished_script_fails()
    {
        Only(Captured.Replace("KMB-STEP name=rmmod rc=0", "KMB-STEP name=rmmod rc=1", StringComparison.Ordinal), "rmmod-succeeds-at-the-end")
            .Verdict.Should().Be(LabVerdicts.Fail);
        Only(Captured.Replace("### end", "", StringComparison.Ordinal), "rmmod-succeeds-at-the-end").Verdict.Should().Be(LabVerdicts.Fail);
        Only(Captured.Replace("KMB-STEP name=rmmod-after-delete rc=0", "KMB-STEP name=rmmod-after-delete rc=1", StringComparison.Ordinal),
            "tap-deleted-under-traffic-then-rmmod").Verdict.Should().Be(LabVerdicts.Fail);
    }

    [Fact]
    public void A_step_the_script_never_reported_is_an_error_not_a_pass()
    {
        var cut = Captured[..Captured.IndexOf("### step netconsole", StringComparison.Ordinal)];
        Only(cut, "netconsole-over-the-tap-under-traffic").Verdict.Should().Be(LabVerdicts.Error);
    }

    [Fact]
    public void An_object_allocated_through_tun_and_never_freed_fails_kmemleak()
    {
        var leak = WithCleanLeaks(Captured).Replace("unreferenced=3\n--- from tun\n", """
            unreferenced=4
            --- from tun
            unreferenced object 0xffff888012345600 (size 64):
                [<ffffffffc0201234>] tun_balance_place+0x84/0x2c0 [tun]
            """.Replace("\r", "", StringComparison.Ordinal) + "\n", StringComparison.Ordinal);
        var v = Only(leak, "kmemleak-nothing-from-tun");
        v.Verdict.Should().Be(LabVerdicts.Fail);
        v.Evidence.Should().Contain(l => l.Contains("tun_balance_place", StringComparison.Ordinal));
    }

    [Fact]
    public void Output_that_is_not_the_stress_scripts_is_refused()
    {
        var act = () => StressOutput.Parse("### udpflows rc=0\n");
        act.Should().Throw<FormatException>();
    }

    private const string StockNetpollLockdep = """
        [  101.1] =====================================================
        [  101.1] WARNING: HARDIRQ-safe -> HARDIRQ-unsafe lock order detected
        [  101.1] 6.1.192-kmbdebug #1 Not tainted
        [  101.1] -----------------------------------------------------
        [  101.1] sh/412 [HC0[0]:SC0[0]:HE0:SE1] is trying to acquire:
        [  101.1] ffff8880085c0a40 (&tfile->tx_ring.producer_lock){+.+.}-{2:2}, at: tun_net_xmit+0x3f2/0x1060 [tun]
        [  101.1] and this task is already holding:
        [  101.1] ffffffffa1e3c818 (target_list_lock){-...}-{2:2}, at: write_msg+0x8b/0x2a0 [netconsole]
        [  101.1] stack backtrace:
        [  101.1] Call Trace:
        [  101.1]  <TASK>
        [  101.1]  dump_stack_lvl+0x5b/0x77
        [  101.1]  </TASK>
        """;

    private const string KasanReport = """
        [  88.2] ==================================================================
        [  88.2] BUG: KASAN: slab-use-after-free in tun_balance_select+0x1a4/0x2c0 [tun]
        [  88.2] Read of size 2 at addr ffff888012345678 by task udpflows/377
        [  88.2] Call Trace:
        [  88.2]  <TASK>
        [  88.2]  kasan_report+0xb8/0xf0
        [  88.2]  </TASK>
        """;

    [Fact]
    public void Stock_tuns_own_netpoll_lockdep_report_is_quoted_but_not_held_against_the_policy()
    {
        var v = Only(Captured, "debug-console-clean", "boot\n" + StockNetpollLockdep + "\nafter\n");
        v.Verdict.Should().Be(LabVerdicts.Pass);
        v.Message.Should().Contain("stock tun");
        v.Evidence.Should().Contain(l => l.Contains("[known: stock-tun-netpoll-producer-lock]", StringComparison.Ordinal));
    }

    [Fact]
    public void A_KASAN_report_fails_the_console_even_after_a_known_stock_report()
    {
        var v = Only(Captured, "debug-console-clean", StockNetpollLockdep + "\n" + KasanReport);
        v.Verdict.Should().Be(LabVerdicts.Fail);
        v.Message.Should().Contain("KASAN: slab-use-after-free");
        StressJudge.FindSplats(StockNetpollLockdep + "\n" + KasanReport).Should().HaveCount(2);
    }

    [Theory]
    [InlineData("[ 5.0] WARNING: CPU: 1 PID: 9 at kernel/time/timer.c:1510 __del_timer_sync+0x1c/0x80")]
    [InlineData("[ 5.0] UBSAN: array-index-out-of-bounds in drivers/net/tun.c:1234:5")]
    [InlineData("[ 5.0] BUG: sleeping function called from invalid context at mm/slab.h:742")]
    [InlineData("[ 5.0] =============================\n[ 5.0] WARNING: suspicious RCU usage")]
    [InlineData("[ 5.0] ODEBUG: free active (active state 0) object: 000000003c0c8f1a object type: timer_list")]
    [InlineData("[ 5.0] rcu: INFO: rcu_preempt self-detected stall on CPU")]
    [InlineData("[ 5.0] INFO: task rmmod:411 blocked for more than 120 seconds.")]
    public void Every_kind_of_sanitiser_report_fails_the_console(string console)
    {
        Only(Captured, "debug-console-clean", console).Verdict.Should().Be(LabVerdicts.Fail);
    }
}
