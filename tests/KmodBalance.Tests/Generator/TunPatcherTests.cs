using System.Text.RegularExpressions;
using FluentAssertions;
using KmodBalance.Generator;
using KmodBalance.Generator.Detection;
using KmodBalance.Generator.Rendering;
using KmodBalance.Tests.Support;

namespace KmodBalance.Tests.Generator;

public class TunPatcherTests
{
    private static string Patch(string generation, Policy policy, Tunables? tunables = null)
    {
        var text = Fixtures.ReadTunC(generation);
        return TunPatcher.Apply(text, ApiDetector.Detect(text), policy, tunables ?? new Tunables());
    }

    [Fact]
    public void Stock_leaves_the_file_unchanged()
    {
        Patch("linux-5.10", Policy.Stock).Should().Be(Fixtures.ReadTunC("linux-5.10"));
    }

    public static TheoryData<string> Generations => new(Fixtures.Generations);

    [Theory]
    [MemberData(nameof(Generations))]
    public void Every_policy_keeps_the_inputs_exact_select_queue_signature(string generation)
    {
        var signature = ApiDetector.Detect(Fixtures.ReadTunC(generation)).SelectQueueSignature;

        foreach (var policy in new[] { Policy.Hash, Policy.Dynamic })
        {
            var patched = Patch(generation, policy);
            Regex.Matches(patched, Regex.Escape(signature) + @"\n\{").Should().HaveCount(1, $"{policy} on {generation}");
        }
    }

    [Theory]
    [MemberData(nameof(Generations))]
    public void Dynamic_uses_the_inputs_timer_and_hash_apis(string generation)
    {
        var profile = ApiDetector.Detect(Fixtures.ReadTunC(generation));
        var patched = Patch(generation, Policy.Dynamic);

        patched.Should().Contain($"u32 rxhash = {profile.FlowHashCall};");
        patched.Should().Contain($"{profile.TimerDeleteSync}(&bal->timer);");
        if (profile.TimerSetup)
        {
            patched.Should().Contain("timer_setup(&bal->timer, tun_balance_timer, 0);");
            patched.Should().Contain($"= {profile.TimerContainerOf}(bal, t, timer);");
        }
        else
        {
            patched.Should().Contain("setup_timer(&bal->timer, tun_balance_timer, (unsigned long)bal);");
            patched.Should().Contain("static void tun_balance_timer(unsigned long data)");
        }
    }

    [Theory]
    [MemberData(nameof(Generations))]
    public void Dynamic_ties_the_balancer_to_the_flow_table_lifetime(string generation)
    {
        var patched = Patch(generation, Policy.Dynamic);
        var profile = ApiDetector.Detect(Fixtures.ReadTunC(generation));

        var init = Body(patched, "static void tun_flow_init(struct tun_struct *tun)");
        init.TrimEnd().Should().EndWith("tun_balance_start(tun);");
        var uninit = Body(patched, "static void tun_flow_uninit(struct tun_struct *tun)");
        uninit.TrimStart().Should().StartWith($"tun_balance_stop(tun);\n\t{profile.TimerDeleteSync}(&tun->flow_gc_timer);");
        patched.Should().Contain("\tstruct tun_balance *balance;\n};");
        patched.Should().Contain("#include <linux/sort.h>");
    }

    [Theory]
    [InlineData("linux-3.10", true)]
    [InlineData("linux-5.10", false)]
    public void Access_once_kernels_get_read_once_compat(string generation, bool compat)
    {
        foreach (var policy in new[] { Policy.Hash, Policy.Dynamic })
            Patch(generation, policy).Contains("#define READ_ONCE(x)\t\tACCESS_ONCE(x)").Should().Be(compat, $"{policy}");
    }

    [Theory]
    [InlineData("linux-5.10", true)]
    [InlineData("linux-3.13", false)]
    public void The_ebpf_steering_program_keeps_precedence_where_it_exists(string generation, bool steering)
    {
        var patched = Patch(generation, Policy.Hash);

        patched.Contains("ret = tun_ebpf_select_queue(tun, skb);\n\telse\n\t\tret = tun_hash_select_queue(tun, skb);")
            .Should().Be(steering);
        patched.Should().Contain("ret = tun_hash_select_queue(tun, skb);");
    }

    [Theory]
    [MemberData(nameof(Generations))]
    public void Both_policies_steer_within_the_queues_the_core_already_has(string generation)
    {
        foreach (var (policy, selector) in new[] { (Policy.Hash, "tun_hash_select_queue"), (Policy.Dynamic, "tun_balance_select_queue") })
        {
            var patched = Patch(generation, policy);
            var selectorBody = patched[patched.IndexOf($"static u16 {selector}(", StringComparison.Ordinal)..];
            selectorBody = selectorBody[..selectorBody.IndexOf("\n}\n", StringComparison.Ordinal)];

            patched.Should().Contain("READ_ONCE(tun->dev->real_num_tx_queues)", $"{policy} on {generation}");
            selectorBody.Should().Contain("numqueues = tun_steerable_queues(tun);", $"{policy} on {generation}")
                .And.NotContain("READ_ONCE(tun->numqueues)", "tun_attach() raises numqueues before real_num_tx_queues");
            patched.IndexOf("static u32 tun_steerable_queues(", StringComparison.Ordinal)
                .Should().BeLessThan(patched.IndexOf($"static u16 {selector}(", StringComparison.Ordinal));
        }
    }

    [Fact]
    public void Hash_and_dynamic_remove_automq_whose_only_caller_was_select_queue()
    {
        foreach (var policy in new[] { Policy.Hash, Policy.Dynamic })
            Patch("linux-5.10", policy).Should().NotContain("tun_automq_select_queue");
    }

    [Fact]
    public void Automq_stays_when_something_else_calls_it()
    {
        var text = Fixtures.ReadTunC("linux-5.10") + "\nstatic u16 other(struct tun_struct *tun, struct sk_buff *skb)\n{\n\treturn tun_automq_select_queue(tun, skb);\n}\n";

        var patched = TunPatcher.Apply(text, ApiDetector.Detect(text), Policy.Hash, new Tunables());

        patched.Should().Contain("static u16 tun_automq_select_queue(");
    }

    [Fact]
    public void Tunables_become_the_module_parameters_defaults()
    {
        var patched = Patch("linux-5.10", Policy.Dynamic, new Tunables(Threshold: 17, PeriodMs: 350));

        patched.Should().Contain("static unsigned int balance_threshold = 17;");
        patched.Should().Contain("static unsigned int balance_period_ms = 350;");
        patched.Should().Contain("module_param_cb(balance_period_ms, &tun_balance_period_ops,");
    }

    [Fact]
    public void The_generated_code_is_indented_with_tabs_and_fits_100_columns()
    {
        var added = Patch("linux-5.10", Policy.Dynamic).Split('\n');

        added.Should().NotContain(l => l.StartsWith("    ", StringComparison.Ordinal));
        added.Where(l => !l.TrimStart().StartsWith('"'))
            .Should().OnlyContain(l => l.Replace("\t", "        ").Length <= 100);
    }

    [Fact]
    public void Dynamic_adds_a_read_only_balance_stats_attribute_where_tun_has_sysfs_attributes()
    {
        var text = Fixtures.ReadTunC("linux-5.10") +
            "\nstatic struct attribute *tun_dev_attrs[] = {\n\t&dev_attr_tun_flags.attr,\n\tNULL\n};\n";

        var patched = TunPatcher.Apply(text, ApiDetector.Detect(text), Policy.Dynamic, new Tunables());

        patched.Should().Contain("static DEVICE_ATTR_RO(balance_stats);\n\nstatic struct attribute *tun_dev_attrs[] = {");
        patched.Should().Contain("\t&dev_attr_tun_flags.attr,\n\t&dev_attr_balance_stats.attr,\n\tNULL\n};");
        patched.Should().Contain("scnprintf(buf, PAGE_SIZE, \"off\\n\")", "the fixture has no sysfs_emit");
    }

    [Fact]
    public void Without_sysfs_attributes_no_stats_are_added()
    {
        Patch("linux-5.10", Policy.Dynamic).Should().NotContain("balance_stats");
    }

    private static string Body(string text, string signature)
    {
        var start = text.IndexOf(signature + "\n{", StringComparison.Ordinal);
        start.Should().BeGreaterThanOrEqualTo(0, $"{signature} is defined");
        var open = text.IndexOf('{', start);
        return text[(open + 1)..text.IndexOf("\n}\n", open, StringComparison.Ordinal)];
    }
}
