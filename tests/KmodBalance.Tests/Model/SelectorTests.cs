using FluentAssertions;
using KmodBalance.Model.Balancing;
using Xunit;

namespace KmodBalance.Tests.Model;

public class SelectorTests
{
    [Theory]
    [InlineData(0u, 4u, 0)]
    [InlineData(0x3FFFFFFFu, 4u, 0)]
    [InlineData(0x40000000u, 4u, 1)]
    [InlineData(0xFFFFFFFFu, 4u, 3)]
    [InlineData(0xFFFFFFFFu, 256u, 255)]
    [InlineData(0x80000000u, 3u, 1)]      // 3 * 2^31 >> 32 = 1
    [InlineData(0xFFFFFFFFu, 0u, 0)]
    public void Hash_multiplies_and_shifts(uint hash, uint n, int expected) =>
        new HashBalancer().Select(hash, 100, n).Should().Be((ushort)expected);

    [Fact]
    public void Stock_equals_hash_until_the_guest_replies_then_follows_the_reply_queue()
    {
        var s = new StockAutomq();
        s.Select(0xFFFFFFFF, 100, 4, now: 0).Should().Be(3);
        s.GuestSent(0xFFFFFFFF, 1, now: 10);
        s.Select(0xFFFFFFFF, 100, 4, now: 20).Should().Be(1);
        s.Select(0xFFFFFFFF, 100, 1, now: 30).Should().Be(0, "a learnt queue >= n falls back to hash");
    }

    [Fact]
    public void Stock_forgets_a_flow_after_the_ageing_time()
    {
        var s = new StockAutomq(ageing: 1000);
        s.GuestSent(0xFFFFFFFF, 1, now: 0);
        s.Select(0xFFFFFFFF, 100, 4, now: 1000).Should().Be(1);
        s.Select(0xFFFFFFFF, 100, 4, now: 1001).Should().Be(3);
        s.FlowCount.Should().Be(0);
    }
}
