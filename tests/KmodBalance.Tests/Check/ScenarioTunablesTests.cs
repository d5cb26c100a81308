using FluentAssertions;
using KmodBalance.Harness.Check;
using Xunit;

namespace KmodBalance.Tests.Check;

/// <summary>A scenario keeps the tunables its properties are judged at, and says when that replaces the user's.</summary>
public class ScenarioTunablesTests
{
    [Fact]
    public void A_scenario_that_replaces_the_users_tunables_says_so()
    {
        var built = new Tunables(Threshold: 32);

        ScenarioTunables.Overrides(CheckScenarios.Spread4, built).Should().BeTrue();
        ScenarioTunables.Describe(CheckScenarios.Spread4, built).Should()
            .Contain($"balance_threshold {CheckScenarios.Threshold}, balance_period_ms {CheckScenarios.PeriodMs}")
            .And.Contain("replaces the module's balance_threshold 32 packets per period");
    }

    [Fact]
    public void A_scenario_at_the_modules_own_values_replaces_nothing()
    {
        var built = new Tunables(CheckScenarios.Threshold, CheckScenarios.PeriodMs);

        ScenarioTunables.Overrides(CheckScenarios.Spread4, built).Should().BeFalse();
        ScenarioTunables.Describe(CheckScenarios.Spread4, built).Should().StartWith("set at run time").And.NotContain("replaces");
    }

    [Fact]
    public void A_scenario_that_sets_nothing_runs_at_the_modules_values()
    {
        ScenarioTunables.Describe(CheckScenarios.Sticky, new Tunables(Threshold: 32)).Should().BeNull();
        ScenarioTunables.Overrides(CheckScenarios.Sticky, new Tunables(Threshold: 32)).Should().BeFalse();
    }
}
