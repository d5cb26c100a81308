namespace KmodBalance.Harness.Check;

/// <summary>
/// The scenarios of `kmb lab check --policy adaptive`: the kernel-integration properties every
/// balancing policy keeps (queues detached and re-attached under traffic, no state for a
/// single-queue tap, netconsole with IRQs disabled), with dynamic's period and threshold. The
/// properties of adaptive's own decisions (learned-queue placement, splitting two equal flows, a
/// move only after the old ring drained, the hysteresis) are proven decision for decision against
/// the C# model by the differential tests (tests/KmodBalance.Tests/Differential); their lab
/// scenarios are not written yet.
/// </summary>
public static class AdaptiveCheckScenarios
{
    public static IReadOnlyList<CheckScenario> All { get; } =
        [.. new[] { CheckScenarios.Requeue(dynamic: true), CheckScenarios.SingleQueue(dynamic: true), CheckScenarios.Netpoll(dynamic: true) }
            .Select(s => s with { Policy = "adaptive" })];
}
