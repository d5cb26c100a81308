using System.CommandLine;
using KmodBalance.Generator;

namespace KmodBalance.Cli.Commands;

/// <summary>
/// `--threshold` and `--period-ms`, the balancer's tunables, defined once for `generate` and every lab verb
/// (run, compare, check, capacity), which build the module with them: the same words and defaults wherever
/// a module is generated. (`steer` and `bench` set kmbsteer's and the benchmark's own, in their words.)
/// </summary>
internal static class TunableOptions
{
    public static Option<long> Threshold() => new("--threshold")
    {
        Description = "dynamic, adaptive: default of balance_threshold, the load gap in PACKETS PER PERIOD above which flows move (adaptive: the least gap a move must close)",
        DefaultValueFactory = _ => Tunables.DefaultThreshold,
    };

    public static Option<long> PeriodMs() => new("--period-ms")
    {
        Description = $"dynamic, adaptive: default of balance_period_ms, the remapper period in milliseconds ({Tunables.MinPeriodMs}-{Tunables.MaxPeriodMs})",
        DefaultValueFactory = _ => Tunables.DefaultPeriodMs,
    };

    /// <summary>The parsed tunables, refused (exit 2, one line) where the module would refuse them.</summary>
    public static Tunables Read(ParseResult result, Option<long> threshold, Option<long> periodMs) =>
        new Tunables(result.GetValue(threshold), result.GetValue(periodMs)).Validated();
}
