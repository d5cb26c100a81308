using KmodBalance.Generator.UserSpace;
using Xunit;
using Xunit.Abstractions;

namespace KmodBalance.Tests.Differential;

/// <summary>
/// The core under concurrency, as in the kernel: several steering threads (RCU readers),
/// one remapper (the timer) and one thread changing the queue count (queues attaching and
/// detaching). The driver exits non-zero when a returned queue is not below the queue
/// count passed in that call or the largest ever set, when the flow table's counters
/// disagree with the table, or when a flow's packet counter wrapped below zero (lost
/// increments racing the remapper's subtraction). No timing is asserted.
/// </summary>
[Trait("Category", "Differential")]
public sealed class ConcurrencyTests(ITestOutputHelper output)
{
    private const int TsanRaceExit = 66;

    public static TheoryData<string, int, int, Policy> Loads => new()
    {
        // flows: few (hot entries, many updates of one flow), and more than the table holds;
        // adaptive's steering threads also queue into rings the remapper thread drains now and then
        { "few flows", 3, 200, Policy.Dynamic },
        { "table full", 3, 6000, Policy.Dynamic },
        { "few flows", 3, 200, Policy.Adaptive },
        { "table full", 3, 6000, Policy.Adaptive },
    };

    [Theory]
    [MemberData(nameof(Loads))]
    public async Task No_data_race_and_no_queue_out_of_range_under_ThreadSanitizer(string name, int threads, int flows, Policy policy)
    {
        var binary = await UserSpaceBuild.GetAsync(UserSpaceFlavor.Thread, policy);
        var run = await binary.RunAsync(
            StressArgs(threads, millis: 3000, remapMicros: 200, resizeMicros: 500, flows, threshold: 4, seed: 1),
            "", TimeSpan.FromMinutes(3),
            new Dictionary<string, string?> { ["TSAN_OPTIONS"] = $"halt_on_error=1 exitcode={TsanRaceExit} second_deadlock_stack=1" });
        Report($"{policy.Name()} {name}", run);
        Assert.False(run.ExitCode == TsanRaceExit, $"ThreadSanitizer found a race:\n{run.StandardError}");
        Assert.True(run.Succeeded, $"stress run failed (exit {run.ExitCode}):\n{run.StandardError}");
        Assert.DoesNotContain("ThreadSanitizer", run.StandardError);
    }

    [Theory]
    [MemberData(nameof(Loads))]
    public async Task No_use_after_free_under_AddressSanitizer(string name, int threads, int flows, Policy policy)
    {
        // kfree_rcu() really frees after a grace period here: a reader that kept a
        // pointer past rcu_read_unlock(), or a flow freed without one, is a heap-use-after-free
        var binary = await UserSpaceBuild.GetAsync(UserSpaceFlavor.Sanitized, policy);
        var run = await binary.RunAsync(
            StressArgs(threads, millis: 3000, remapMicros: 100, resizeMicros: 300, flows, threshold: 0, seed: 2),
            "", TimeSpan.FromMinutes(3));
        Report($"{policy.Name()} {name}", run);
        Assert.True(run.Succeeded, $"stress run failed (exit {run.ExitCode}):\n{run.StandardError}");
    }

    private static string[] StressArgs(int threads, int millis, int remapMicros, int resizeMicros, int flows, uint threshold, uint seed) =>
        ["stress", $"{threads}", $"{millis}", $"{remapMicros}", $"{resizeMicros}", $"{flows}", $"{threshold}", $"{seed}"];

    private void Report(string name, UserSpaceRun run)
    {
        output.WriteLine($"{name}: {run.StandardOutput.Trim()}");
        if (run.StandardError.Length > 0)
            output.WriteLine(run.StandardError);
    }
}
