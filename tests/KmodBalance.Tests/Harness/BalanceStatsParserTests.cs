using FluentAssertions;
using KmodBalance.Harness.Measurement;

namespace KmodBalance.Tests.Harness;

public class BalanceStatsParserTests
{
    [Fact]
    public void Reads_totals_and_every_queue_line()
    {
        var stats = BalanceStatsParser.Parse("flows 9\nmigrations 3\nqueue 0 load 120 flows 2\nqueue 1 load 0 flows 0\nqueue 2 load 4000000000 flows 7\n");

        stats.Should().NotBeNull();
        stats!.Flows.Should().Be(9);
        stats.Migrations.Should().Be(3);
        stats.Queues.Should().Equal(new BalanceQueueStats(0, 120, 2), new BalanceQueueStats(1, 0, 0), new BalanceQueueStats(2, 4000000000, 7));
    }

    [Theory]
    [InlineData("absent\n")]
    [InlineData("off\n")]
    [InlineData("")]
    public void A_module_without_a_running_balancer_has_no_stats(string text) =>
        BalanceStatsParser.Parse(text).Should().BeNull();

    [Theory]
    [InlineData("flows 1\nqueue 0 load 1 flows 1\n", "no flows/migrations")]
    [InlineData("flows 1\nmigrations x\n", "'x'")]
    [InlineData("flows 1\nmigrations 0\nqueue 0 load -1 flows 1\n", "'-1'")]
    [InlineData("flows 1\nmigrations 0\nqueues 4\n", "unexpected line 'queues 4'")]
    public void Malformed_text_names_the_problem(string text, string expected) =>
        FluentActions.Invoking(() => BalanceStatsParser.Parse(text)).Should().Throw<FormatException>().WithMessage($"*{expected}*");
}
