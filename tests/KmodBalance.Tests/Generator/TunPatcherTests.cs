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

        foreach (var policy in new[] { Policy.Hash, Policy.Dynamic, Policy.Adaptive })
        {
            var patched = Patch(generation, policy);
            Regex.Matches(patched, Regex.Escape(signature) + @"\n\{").Should().HaveCount(1, $"{policy} on {generation}");
        }
    }

    public static TheoryData<string, Policy> GenerationsAndPolicies()
    {
        var data = new TheoryData<string, Policy>();
        foreach (var generation in Fixtures.Generations)
            foreach (var policy in new[] { Policy.Hash, Policy.Dynamic })
                data.Add(generation, policy);
        return data;
    }

    [Theory]
    [MemberData(nameof(Generations))]
    public void Dynamic_uses_the_inputs_timer_and_hash_apis_with_a_deferrable_timer(string generation)
    {
        var profile = ApiDetector.Detect(Fixtures.ReadTunC(generation));
        var patched = Patch(generation, Policy.Dynamic);

        patched.Should().Contain($"u32 rxhash = {profile.FlowHashCall};");
        patched.Should().Contain($"{profile.TimerShutdownSync}(&bal->timer);");
        if (profile.TimerSetup)
        {
            patched.Should().Contain("timer_setup(&bal->timer, tun_balance_timer, TIMER_DEFERRABLE);");
            patched.Should().Contain($"= {profile.TimerContainerOf}(bal, t, timer);");
        }
        else
        {
            patched.Should().Contain("setup_deferrable_timer(&bal->timer, tun_balance_timer,");
            patched.Should().Contain("static void tun_balance_timer(unsigned long data)");
        }
    }

    [Theory]
    [MemberData(nameof(GenerationsAndPolicies))]
    public void The_balancer_lives_and_dies_with_the_flow_table_and_is_published_under_rcu(string generation, Policy policy)
    {
        var patched = Patch(generation, policy);
        var profile = ApiDetector.Detect(Fixtures.ReadTunC(generation));

        var init = Body(patched, "static void tun_flow_init(struct tun_struct *tun)");
        init.TrimEnd().Should().EndWith("tun_balance_setup(tun);");
        var uninit = Body(patched, "static void tun_flow_uninit(struct tun_struct *tun)");
        uninit.TrimStart().Should().StartWith($"tun_balance_destroy(tun);\n\t{profile.TimerDeleteSync}(&tun->flow_gc_timer);");
        patched.Should().Contain("rcu_assign_pointer(tun->balance, bal);");
        var disable = Body(patched, "static void tun_balance_disable(struct tun_struct *tun)");
        disable.IndexOf("RCU_INIT_POINTER(tun->balance, NULL);", StringComparison.Ordinal)
            .Should().BeLessThan(disable.IndexOf("synchronize_net();", StringComparison.Ordinal), "unpublish, then wait for readers")
            .And.BeGreaterThanOrEqualTo(0);
        disable.IndexOf("synchronize_net();", StringComparison.Ordinal)
            .Should().BeLessThan(disable.IndexOf("tun_balance_free(bal);", StringComparison.Ordinal), "free only after the grace period");
        Body(patched, "static void tun_balance_destroy(struct tun_struct *tun)")
            .Should().NotContain("synchronize", "unregistering already waited for the packet paths");
        Body(patched, "static void tun_balance_free(struct tun_balance *bal)")
            .Should().Contain($"{profile.StateFree(policy == Policy.Dynamic)}(bal);");
    }

    [Theory]
    [MemberData(nameof(GenerationsAndPolicies))]
    public void Stock_selection_stays_and_is_the_default(string generation, Policy policy)
    {
        var original = Fixtures.ReadTunC(generation);
        var profile = ApiDetector.Detect(original);
        var patched = Patch(generation, policy);

        patched.Should().Contain("static bool balance_default;\nmodule_param(balance_default, bool, 0644);");
        var select = Body(patched, profile.SelectQueueSignature);
        if (profile.HasAutomqFunction)
        {
            patched.Should().Contain(Body(original, "static u16 tun_automq_select_queue(struct tun_struct *tun, struct sk_buff *skb)"));
            select.Should().Contain("ret = bal ? tun_balance_select_queue(tun, bal, skb) :\n\t\t\t    tun_automq_select_queue(tun, skb);");
        }
        else
        {
            var stockSignature = profile.SelectQueueSignature.Replace("tun_select_queue(", "tun_stock_select_queue(");
            Body(patched, stockSignature).Should().Be(Body(original, profile.SelectQueueSignature));
            select.Should().Contain($"ret = bal ? tun_balance_select_queue(tun, bal, skb) :\n\t\t    tun_stock_select_queue({profile.SelectQueueArguments});");
        }
    }

    [Theory]
    [InlineData("linux-3.10", true)]
    [InlineData("linux-5.10", false)]
    public void Access_once_kernels_get_read_once_compat(string generation, bool compat)
    {
        foreach (var policy in new[] { Policy.Hash, Policy.Dynamic, Policy.Adaptive })
            Patch(generation, policy).Contains("#define READ_ONCE(x)\t\tACCESS_ONCE(x)").Should().Be(compat, $"{policy}");
    }

    [Theory]
    [InlineData("linux-5.10", true)]
    [InlineData("linux-3.13", false)]
    public void The_ebpf_steering_program_keeps_precedence_where_it_exists(string generation, bool steering)
    {
        var patched = Patch(generation, Policy.Hash);

        patched.Contains("if (rcu_dereference(tun->steering_prog)) {\n\t\tret = tun_ebpf_select_queue(tun, skb);\n\t} else {\n\t\tbal = rcu_dereference(tun->balance);")
            .Should().Be(steering);
        patched.Contains("steering_prog;\n\tstruct tun_balance __rcu *balance;\n").Should().Be(steering, "balance sits beside steering_prog");
        if (!steering)
            patched.Should().Contain("\tstruct tun_balance __rcu *balance;\n};", "else at the end of tun_struct");
    }

    [Theory]
    [MemberData(nameof(Generations))]
    public void Every_policy_places_within_the_queues_the_core_already_has(string generation)
    {
        foreach (var policy in new[] { Policy.Hash, Policy.Dynamic, Policy.Adaptive })
        {
            var patched = Patch(generation, policy);
            var selectorBody = patched[patched.IndexOf("static u16 tun_balance_select_queue(", StringComparison.Ordinal)..];
            selectorBody = selectorBody[..selectorBody.IndexOf("\n}\n", StringComparison.Ordinal)];

            patched.Should().Contain("READ_ONCE(tun->dev->real_num_tx_queues)", $"{policy} on {generation}");
            patched.IndexOf("static u32 tun_steerable_queues(", StringComparison.Ordinal)
                .Should().BeLessThan(patched.IndexOf("static u16 tun_balance_select_queue(", StringComparison.Ordinal));
            if (policy == Policy.Hash)
            {
                selectorBody.Should().Contain("tun_steerable_queues(tun)", $"hash on {generation}")
                    .And.NotContain("READ_ONCE(tun->numqueues)", "tun_attach() raises numqueues before real_num_tx_queues");
                continue;
            }
            // a known flow is bounded by the queues attached; every placement by the core's queues too
            selectorBody.Should().Contain("READ_ONCE(tun->numqueues)", $"{policy} on {generation}");
            Body(patched, "static u32 tun_balance_steerable(struct tun_balance *bal, u32 numqueues)")
                .Should().Contain("min(numqueues, tun_steerable_queues(bal->tun))", $"{policy} on {generation}");
            var select = patched[patched.IndexOf("static u16 tun_balance_select(struct tun_balance *bal,", StringComparison.Ordinal)..];
            var steerable = select.IndexOf("\tnumqueues = tun_balance_steerable(bal, numqueues);\n", StringComparison.Ordinal);
            steerable.Should().BePositive($"{policy}: what is not a known flow on an attached queue is placed within the steerable queues");
            select[..steerable].Should().Contain("queue < numqueues", $"{policy}: the known-flow fast path comes first");
        }
    }

    [Theory]
    [MemberData(nameof(GenerationsAndPolicies))]
    public void Flow_learning_is_skipped_while_a_device_balances(string generation, Policy policy)
    {
        var patched = Patch(generation, policy);

        var update = Body(patched, "static void tun_flow_update(struct tun_struct *tun, u32 rxhash,\n\t\t\t    struct tun_file *tfile)");
        update.Should().Contain("u16 queue_index = tfile->queue_index;\n\n\tif (tun_balance_skips_learning(tun))\n\t\treturn;\n\n",
            "the test follows the declarations");
        patched.IndexOf("static bool tun_balance_skips_learning(", StringComparison.Ordinal)
            .Should().BeLessThan(patched.IndexOf("static void tun_flow_update(", StringComparison.Ordinal));
    }

    [Fact]
    public void Rfs_keeps_getting_the_flow_hash_where_tun_saves_it()
    {
        var text = Fixtures.ReadTunC("linux-5.10") +
            "\nstatic void other(struct tun_flow_entry *e)\n{\n\tif (static_branch_unlikely(&rps_needed))\n\t\ttun_flow_save_rps_rxhash(e, tun_flow_find(0, 0));\n}\n";

        var patched = TunPatcher.Apply(text, ApiDetector.Detect(text), Policy.Dynamic, new Tunables());

        Body(patched, "static u16 tun_balance_select_queue(struct tun_struct *tun,\n\t\t\t\t    struct tun_balance *bal,\n\t\t\t\t    struct sk_buff *skb)")
            .Should().Contain("tun_balance_save_rps_rxhash(tun, rxhash);");
        Body(patched, "static bool tun_balance_skips_learning(struct tun_struct *tun)")
            .Should().Contain("if (static_branch_unlikely(&rps_needed))\n\t\treturn false;");
        Patch("linux-5.10", Policy.Dynamic).Should().NotContain("rps_needed", "the fixture saves no hash for RFS");
    }

    [Theory]
    [MemberData(nameof(Generations))]
    public void Dynamic_hears_of_every_detach_once_the_packet_paths_have_seen_it(string generation)
    {
        var detach = Body(Patch(generation, Policy.Dynamic), "static void __tun_detach(struct tun_file *tfile, bool clean)");

        detach.Should().Contain("--tun->numqueues;\n\tsynchronize_net();\n\ttun_balance_queue_moved(tun, index, tun->numqueues);\n\ttun_flow_delete_by_queue(");
        Patch(generation, Policy.Hash).Should().NotContain("tun_balance_queue_moved", "hash keeps no per-flow state");
    }

    [Theory]
    [InlineData("linux-5.10", true)]
    [InlineData("linux-4.19", false)]
    public void Xdp_frames_count_toward_their_queues_load(string generation, bool xdp)
    {
        var patched = Patch(generation, Policy.Dynamic);

        patched.Contains("\tif (unlikely(!tfile))\n\t\treturn -ENXIO;\n\ttun_balance_count_xdp(tun, READ_ONCE(tfile->queue_index), n);\n")
            .Should().Be(xdp, "counted on the chosen file's own index, the modulo computed once");
        patched.Contains("static void tun_balance_count_xdp(").Should().Be(xdp, "an unused static function would warn");
    }

    [Theory]
    [MemberData(nameof(GenerationsAndPolicies))]
    public void The_statistics_file_comes_after_a_successful_init_and_goes_first(string generation, Policy policy)
    {
        var patched = Patch(generation, policy);

        Body(patched, "static int __init tun_init(void)").Should().Contain("\ttun_balance_debugfs_init();\n\treturn 0;");
        Body(patched, "static void tun_cleanup(void)").Should().StartWith("\n\ttun_balance_debugfs_exit();\n");
    }

    [Fact]
    public void A_tun_c_without_tun_init_is_refused_naming_it()
    {
        var text = Fixtures.ReadTunC("linux-5.10").Replace("static int __init tun_init(void)", "static int __init other_init(void)");

        var act = () => TunPatcher.Apply(text, ApiDetector.Detect(text), Policy.Hash, new Tunables());

        act.Should().Throw<UnsupportedTunSourceException>().WithMessage("*tun_init()*");
    }

    [Fact]
    public void Tunables_become_the_module_parameters_defaults()
    {
        var patched = Patch("linux-5.10", Policy.Dynamic, new Tunables(Threshold: 17, PeriodMs: 350));

        patched.Should().Contain("static unsigned int balance_threshold = 17;");
        patched.Should().Contain("static unsigned int balance_period_ms = 350;");
        patched.Should().Contain("module_param_cb(balance_period_ms, &tun_balance_period_ops,");
        patched.Should().Contain("module_param_cb(balance_threshold, &tun_balance_threshold_ops,");
    }

    [Fact]
    public void The_generated_code_is_indented_with_tabs_and_fits_100_columns()
    {
        var added = Patch("linux-5.10", Policy.Dynamic).Split('\n');

        added.Should().NotContain(l => l.StartsWith("    ", StringComparison.Ordinal));
        added.Where(l => !l.TrimStart().StartsWith('"') && !l.Contains("seq_printf(") && !l.Contains("MODULE_PARM_DESC"))
            .Should().OnlyContain(l => l.Replace("\t", "        ").Length <= 100);
    }

    [Fact]
    public void Every_policy_adds_a_writable_balance_switch_where_tun_has_sysfs_attributes()
    {
        var text = Fixtures.ReadTunC("linux-5.10") +
            "\nstatic struct attribute *tun_dev_attrs[] = {\n\t&dev_attr_tun_flags.attr,\n\tNULL\n};\n";

        foreach (var policy in new[] { Policy.Hash, Policy.Dynamic, Policy.Adaptive })
        {
            var patched = TunPatcher.Apply(text, ApiDetector.Detect(text), policy, new Tunables());

            patched.Should().Contain("static DEVICE_ATTR_RW(balance);\n\nstatic struct attribute *tun_dev_attrs[] = {");
            patched.Should().Contain("\t&dev_attr_tun_flags.attr,\n\t&dev_attr_balance.attr,\n\tNULL\n};");
            patched.Should().Contain("return scnprintf(buf, PAGE_SIZE, \"%d\\n\", !!rcu_access_pointer(tun->balance));", "the fixture has no sysfs_emit");
            Body(patched, "static ssize_t balance_store(struct device *dev, struct device_attribute *attr,\n\t\t\t     const char *buf, size_t count)")
                .Should().Contain("if (tun->dev->num_tx_queues < 2)\n\t\treturn on ? -EOPNOTSUPP : count;",
                    "a single-queue device never balances, and is already off");
            patched.Should().Contain("if (!rtnl_trylock())\n\t\treturn restart_syscall();");
        }
    }

    [Fact]
    public void Without_sysfs_attributes_there_is_no_per_device_switch()
    {
        Patch("linux-5.10", Policy.Dynamic).Should().NotContain("dev_attr_balance");
    }

    private static string Body(string text, string signature)
    {
        var start = text.IndexOf(signature + "\n{", StringComparison.Ordinal);
        start.Should().BeGreaterThanOrEqualTo(0, $"{signature} is defined");
        var open = text.IndexOf('{', start);
        return text[(open + 1)..text.IndexOf("\n}\n", open, StringComparison.Ordinal)];
    }
}
