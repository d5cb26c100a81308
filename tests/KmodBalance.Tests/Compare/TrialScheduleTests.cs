using FluentAssertions;
using KmodBalance.Harness.Compare;

namespace KmodBalance.Tests.Compare;

public class TrialScheduleTests
{
    [Fact]
    public void Every_round_runs_each_policy_once_starting_one_policy_later()
    {
        var schedule = TrialSchedule.Build([Policy.Stock, Policy.Hash, Policy.Dynamic], 3);

        schedule.Select(s => s.Policy).Should().Equal(
            Policy.Stock, Policy.Hash, Policy.Dynamic,
            Policy.Hash, Policy.Dynamic, Policy.Stock,
            Policy.Dynamic, Policy.Stock, Policy.Hash);
        schedule.Select(s => s.Slot).Should().Equal(Enumerable.Range(1, 9));
    }

    [Fact]
    public void Trial_numbers_count_per_policy()
    {
        var schedule = TrialSchedule.Build([Policy.Hash, Policy.Dynamic], 5);

        foreach (var policy in new[] { Policy.Hash, Policy.Dynamic })
            schedule.Where(s => s.Policy == policy).Select(s => s.Trial).Should().Equal(1, 2, 3, 4, 5);
    }

    [Fact]
    public void No_policy_always_runs_first_in_a_round()
    {
        var schedule = TrialSchedule.Build([Policy.Stock, Policy.Hash, Policy.Dynamic], 6);

        schedule.Where((_, i) => i % 3 == 0).Select(s => s.Policy).Distinct().Should().HaveCount(3);
    }

    [Fact]
    public void Rejects_an_empty_plan()
    {
        FluentActions.Invoking(() => TrialSchedule.Build([], 2)).Should().Throw<ArgumentException>();
        FluentActions.Invoking(() => TrialSchedule.Build([Policy.Hash], 0)).Should().Throw<ArgumentOutOfRangeException>();
    }
}
