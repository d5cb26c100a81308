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

    private static string Body(string text, string signature)
    {
        var start = text.IndexOf(signature + "\n{", StringComparison.Ordinal);
        start.Should().BeGreaterThanOrEqualTo(0, $"{signature} is defined");
        var open = text.IndexOf('{', start);
        return text[(open + 1)..text.IndexOf("\n}\n", open, StringComparison.Ordinal)];
    }
}
