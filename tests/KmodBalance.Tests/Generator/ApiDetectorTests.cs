using FluentAssertions;
using KmodBalance.Generator;
using KmodBalance.Generator.Detection;
using KmodBalance.Tests.Support;

namespace KmodBalance.Tests.Generator;

public class ApiDetectorTests
{
    [Theory]
    [InlineData("linux-3.10", SelectQueueShape.DevSkb, false, "from_timer", "del_timer_sync", "skb_get_rxhash(skb)", false, true)]
    [InlineData("linux-3.13", SelectQueueShape.AccelPriv, false, "from_timer", "del_timer_sync", "skb_get_hash(skb)", false, true)]
    [InlineData("linux-4.16", SelectQueueShape.AccelPrivFallback, true, "from_timer", "del_timer_sync", "__skb_get_hash_symmetric(skb)", true, false)]
    [InlineData("linux-4.19", SelectQueueShape.SbDevFallback, true, "from_timer", "del_timer_sync", "__skb_get_hash_symmetric(skb)", true, false)]
    [InlineData("linux-5.10", SelectQueueShape.SbDev, true, "from_timer", "del_timer_sync", "__skb_get_hash_symmetric(skb)", true, false)]
    [InlineData("linux-6.15", SelectQueueShape.SbDev, true, "from_timer", "timer_delete_sync", "__skb_get_hash_symmetric(skb)", true, false)]
    [InlineData("linux-6.16", SelectQueueShape.SbDev, true, "timer_container_of", "timer_delete_sync", "__skb_get_hash_symmetric(skb)", true, false)]
    public void Detects_the_generation_from_the_file_itself(string generation, SelectQueueShape shape, bool timerSetup,
        string containerOf, string deleteSync, string hashCall, bool steering, bool accessOnce)
    {
        var profile = ApiDetector.Detect(Fixtures.ReadTunC(generation));

        profile.SelectQueue.Should().Be(shape);
        profile.TimerSetup.Should().Be(timerSetup);
        profile.TimerContainerOf.Should().Be(containerOf);
        profile.TimerDeleteSync.Should().Be(deleteSync);
        profile.FlowHashCall.Should().Be(hashCall);
        profile.HasSteeringProg.Should().Be(steering);
        profile.UsesAccessOnce.Should().Be(accessOnce);
        profile.NeedsVnetHeader.Should().Be(generation is "linux-6.15" or "linux-6.16");
    }

    [Fact]
    public void Keeps_the_exact_signature_text_of_the_input()
    {
        var profile = ApiDetector.Detect(Fixtures.ReadTunC("linux-4.19"));

        profile.SelectQueueSignature.Should().Be(
            "static u16 tun_select_queue(struct net_device *dev, struct sk_buff *skb,\n\t\t\t    struct net_device *sb_dev,\n\t\t\t    select_queue_fallback_t fallback)");
    }

    [Fact]
    public void A_file_without_tun_select_queue_is_refused_naming_what_is_missing()
    {
        var foreign = "int main(void)\n{\n\treturn 0;\n}\n";

        var detect = () => ApiDetector.Detect(foreign);

        detect.Should().Throw<UnsupportedTunSourceException>()
            .Where(e => e.Message.Contains("tun_select_queue()") && e.Message.Contains("Supported:") && e.ExitCode == 2);
    }

    [Fact]
    public void An_unknown_select_queue_signature_is_refused_with_the_signature()
    {
        var text = Fixtures.ReadTunC("linux-5.10").Replace("struct net_device *sb_dev)", "int weight)");

        var detect = () => ApiDetector.Detect(text);

        detect.Should().Throw<UnsupportedTunSourceException>().WithMessage("*unknown signature*int weight*");
    }

    [Fact]
    public void A_missing_flow_hash_is_refused()
    {
        var text = Fixtures.ReadTunC("linux-5.10").Replace("__skb_get_hash_symmetric(skb)", "skb->mark");

        var detect = () => ApiDetector.Detect(text);

        detect.Should().Throw<UnsupportedTunSourceException>().WithMessage("*no flow hash call*tun_automq_select_queue*");
    }

    [Fact]
    public void A_prototype_alone_does_not_count_as_the_definition()
    {
        var text = Fixtures.ReadTunC("linux-5.10");
        var withoutInit = text[..text.IndexOf("static void tun_flow_init(struct tun_struct *tun)\n{", StringComparison.Ordinal)]
            + "static void tun_flow_init(struct tun_struct *tun);\n";

        var detect = () => ApiDetector.Detect(withoutInit);

        detect.Should().Throw<UnsupportedTunSourceException>().WithMessage("*tun_flow_init()*");
    }
}
