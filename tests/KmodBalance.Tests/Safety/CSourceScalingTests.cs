using System.Text;
using FluentAssertions;
using KmodBalance.Generator.Source;

namespace KmodBalance.Tests.Safety;

/// <summary>Finding a function is linear in the text: a definition head whose '(' never closes is not
/// scanned to the end of the file once per head. 40,000 such heads took 22 s before; by the size of the
/// input (4 MB) a quadratic search would not finish in any test run.</summary>
public class CSourceScalingTests
{
    [Fact]
    public void Many_unclosed_definition_heads_are_passed_over_and_the_real_definition_found()
    {
        var text = new StringBuilder();
        for (var i = 0; i < 180_000; i++)
            text.Append("int tun_select_queue(\n");
        var junkEnd = text.Length;
        text.Append(")))\n"); // leaves most heads unclosed whatever the pairing
        text.Append("static u16 tun_select_queue(struct net_device *dev, struct sk_buff *skb)\n{\n\treturn 0;\n}\n");
        var source = text.ToString();

        var found = CSource.FindFunction(source, "tun_select_queue");

        found.Should().NotBeNull();
        found!.Start.Should().BeGreaterThan(junkEnd);
        found.Body(source).Should().Contain("return 0;");
        TunSourceCheck.Incompleteness(source).Should().Contain("never closed");
    }
}
