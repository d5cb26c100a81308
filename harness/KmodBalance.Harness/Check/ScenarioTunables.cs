using System.Globalization;
using KmodBalance.Harness.Reporting;

namespace KmodBalance.Harness.Check;

/// <summary>
/// What a check scenario does to the tunables the module was built with (--threshold, --period-ms). Its
/// properties are exact only at the values it was designed for (<see cref="CheckScenarios.Threshold"/>,
/// <see cref="CheckScenarios.PeriodMs"/>: its flows' rates and the convergence bound are computed from them),
/// so it keeps setting them at run time as module parameters (kmbsteer's, --backend ebpf); where that
/// replaces the user's choice, the console and the report say so rather than leave it silent.
/// </summary>
public static class ScenarioTunables
{
    /// <summary>Pure: the run-time setting of <paramref name="s"/>, or null when it runs at the module's own values.</summary>
    public static string? Describe(CheckScenario s, Tunables built)
    {
        ArgumentNullException.ThrowIfNull(s);
        ArgumentNullException.ThrowIfNull(built);
        if (s.Threshold is null && s.PeriodMs is null) return null;
        var set = string.Join(", ", new[]
        {
            s.Threshold is { } t ? $"balance_threshold {t}" : null,
            s.PeriodMs is { } p ? $"balance_period_ms {p}" : null,
        }.OfType<string>());
        var text = string.Create(CultureInfo.InvariantCulture, $"set at run time to {set}, the values this scenario's properties are judged at");
        return Overrides(s, built)
            ? text + $"; this replaces the module's {Markdown.Tunables(built)} from --threshold/--period-ms for this scenario"
            : text;
    }

    /// <summary>Pure: whether <paramref name="s"/> sets a value other than the module was built with.</summary>
    public static bool Overrides(CheckScenario s, Tunables built) =>
        (s.Threshold is { } t && t != built.Threshold) || (s.PeriodMs is { } p && p != built.PeriodMs);
}
