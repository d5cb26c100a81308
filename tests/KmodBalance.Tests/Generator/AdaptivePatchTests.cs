using FluentAssertions;
using KmodBalance.Generator;
using KmodBalance.Generator.Detection;
using KmodBalance.Generator.Rendering;
using KmodBalance.Tests.Support;

namespace KmodBalance.Tests.Generator;

/// <summary>What the adaptive policy's patch adds beyond dynamic's frame, on every fixture generation.</summary>
public class AdaptivePatchTests
{
    public static TheoryData<string> Generations => new(Fixtures.Generations);

    private static string Patch(string text) =>
        TunPatcher.Apply(text, ApiDetector.Detect(text), Policy.Adaptive, new Tunables());

    [Theory]
    [MemberData(nameof(Generations))]
    public void Adaptive_keeps_automq_learning_and_reads_the_learned_queue(string generation)
    {
        var patched = Patch(Fixtures.ReadTunC(generation));

        patched.Should().NotContain("tun_balance_skips_learning", "adaptive places flows where automq learnt the guest wants them");
        patched.Should().Contain("e = tun_flow_find(&tun->flows[tun_hashfn(rxhash)], rxhash);");
        patched.Should().Contain("!time_after(jiffies, READ_ONCE(e->updated) + TUN_FLOW_EXPIRE)");
        patched.Should().Contain("policy adaptive flows %u migrations %u periods %u counted %llu pauses %u pause_drops %u\\n");
        patched.Should().Contain("#include <linux/sort.h>");
        patched.Should().Contain("tun_balance_queue_moved(tun, index, tun->numqueues);", "a detach re-places flows as for dynamic");
        // the core declares its hooks; they are defined after it, before the glue that calls the core
        patched.IndexOf("static bool tun_balance_queue_holds(struct tun_balance *bal, u16 queue,\n\t\t\t\t    const void *pkt)\n{", StringComparison.Ordinal)
            .Should().BeGreaterThan(patched.IndexOf("static u16 tun_balance_select(", StringComparison.Ordinal))
            .And.BeLessThan(patched.IndexOf("static u16 tun_balance_select_queue(", StringComparison.Ordinal));
    }

    [Fact]
    public void A_ptr_ring_is_searched_under_its_producer_lock_and_a_socket_queue_under_its_own_lock()
    {
        var legacy = Fixtures.ReadTunC("linux-5.10");
        Patch(legacy).Should().Contain("skb_queue_walk(q, skb)").And.NotContain("ptr_ring");

        var ring = legacy.Replace("struct tun_struct {", "struct tun_file {\n\tstruct ptr_ring tx_ring;\n};\n\nstruct tun_struct {") +
            "\nstatic netdev_tx_t tun_net_xmit(struct sk_buff *skb, struct net_device *dev)\n{\n" +
            "\tif (ptr_ring_produce(&tfile->tx_ring, skb))\n\t\tgoto drop;\n\treturn NETDEV_TX_OK;\n}\n";
        var patched = Patch(ring);
        patched.Should().Contain("spin_lock(&r->producer_lock);").And.Contain("i = READ_ONCE(r->consumer_head);")
            .And.NotContain("skb_queue_walk");
    }

    [Fact]
    public void Only_a_ptr_ring_lets_a_flow_pause_and_tun_net_xmit_then_queues_through_the_balancer()
    {
        var legacy = Fixtures.ReadTunC("linux-5.10");
        Patch(legacy).Should().NotContain("tun_balance_produce").And.Contain("A socket's receive queue is not a ring");

        var ring = legacy.Replace("struct tun_struct {", "struct tun_file {\n\tstruct ptr_ring tx_ring;\n};\n\nstruct tun_struct {");
        var xmit = "\nstatic netdev_tx_t tun_net_xmit(struct sk_buff *skb, struct net_device *dev)\n{\n" +
            "\tif (ptr_ring_produce(&tfile->tx_ring, skb))\n\t\tgoto drop;\n\treturn NETDEV_TX_OK;\n}\n";
        var patched = Patch(ring + xmit);
        patched.Should().Contain("\tif (tun_balance_produce(tun, tfile, skb))\n\t\tgoto drop;")
            .And.Contain("rxhash = __skb_get_hash_symmetric(skb);").And.Contain("drop = tun_balance_drops(bal, rxhash, queue);")
            .And.NotContain("\tif (ptr_ring_produce(&tfile->tx_ring, skb))");

        var act = () => Patch(ring);
        act.Should().Throw<UnsupportedTunSourceException>().WithMessage("*tun_net_xmit()*");
    }

    [Fact]
    public void Dynamic_still_skips_learning_and_prints_its_own_policy()
    {
        var patched = TunPatcher.Apply(Fixtures.ReadTunC("linux-5.10"), ApiDetector.Detect(Fixtures.ReadTunC("linux-5.10")), Policy.Dynamic, new Tunables());
        patched.Should().Contain("if (tun_balance_skips_learning(tun))");
        patched.Should().Contain("policy dynamic flows %u migrations %u periods %u counted %llu\\n").And.NotContain("tun_balance_queue_holds");
    }
}
