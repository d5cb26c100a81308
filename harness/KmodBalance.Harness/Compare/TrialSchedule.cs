namespace KmodBalance.Harness.Compare;

/// <summary>One trial of one policy, and its place in the run.</summary>
/// <param name="Trial">1-based trial number within its policy.</param>
/// <param name="Slot">1-based position in the whole run.</param>
public sealed record ScheduledTrial(Policy Policy, int Trial, int Slot);

/// <summary>
/// Interleaves the policies: round r runs every policy once, starting one policy later than round r-1.
/// Drift on a noisy machine (a warming cache, a neighbour's load) then hits every policy alike, and no
/// policy always runs first after a module build.
/// </summary>
public static class TrialSchedule
{
    public static IReadOnlyList<ScheduledTrial> Build(IReadOnlyList<Policy> policies, int trials)
    {
        ArgumentNullException.ThrowIfNull(policies);
        ArgumentOutOfRangeException.ThrowIfLessThan(trials, 1);
        if (policies.Count == 0) throw new ArgumentException("At least one policy is needed.", nameof(policies));

        var schedule = new List<ScheduledTrial>(policies.Count * trials);
        for (var round = 0; round < trials; round++)
            for (var i = 0; i < policies.Count; i++)
                schedule.Add(new ScheduledTrial(policies[(i + round) % policies.Count], round + 1, schedule.Count + 1));
        return schedule;
    }
}
