using System.Globalization;
using CliWrap;
using CliWrap.Buffered;
using FluentAssertions;
using KmodBalance.Tests.Support;
using Xunit;

namespace KmodBalance.Tests.Steering;

/// <summary>
/// `kmb steer` on real taps in a network namespace of the test's own (no traffic): it attaches to a
/// multi-queue tap nobody else steers, refuses a second steering program and a single-queue tap with
/// exit 2 and one line, takes new tunables while attached (--set), and leaves the device without a
/// program at the end of its duration, so that a second run attaches again. Needs root.
/// </summary>
[Trait("Category", "Ebpf")]
[Collection(SteerLive.Collection)]
public sealed class SteerAttachTests : IAsyncLifetime
{
    private readonly string _netns = $"kmbsteer-test-{Environment.ProcessId.ToString(CultureInfo.InvariantCulture)}";
    private readonly TempDir _state = new();

    public async Task InitializeAsync()
    {
        await Ip("netns", "add", _netns);
        await Ip("-n", _netns, "tuntap", "add", "dev", "kst0", "mode", "tap", "multi_queue");
        await Ip("-n", _netns, "tuntap", "add", "dev", "kss0", "mode", "tap");
    }

    public async Task DisposeAsync()
    {
        await Processes.RunAsync("ip", ["netns", "del", _netns]);
        _state.Dispose();
    }

    [Fact]
    public async Task Attaches_refuses_a_second_program_and_a_single_queue_tap_and_detaches_at_the_end()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var first = Steer("kst0", "--duration", "10").ExecuteBufferedAsync(timeout.Token);
        // the first run builds kmbsteer on a fresh state dir; wait until it steers
        while (!first.Task.IsCompleted && !File.Exists(_state.Combine("kst0.stats")))
            await Task.Delay(100, timeout.Token);

        // kmb's own record of the run refuses first; from another state dir, kmbsteer sees the program in the kernel
        var sameHost = await Steer("kst0").ExecuteBufferedAsync(timeout.Token);
        sameHost.ExitCode.Should().Be(2, sameHost.StandardError);
        sameHost.StandardError.Trim().Split('\n').Should().ContainSingle().Which.Should().Contain("a kmb steer is attached to kst0");
        var second = await Steer("kst0", "--state-dir", _state.Combine("other-state")).ExecuteBufferedAsync(timeout.Token);
        second.ExitCode.Should().Be(2, second.StandardError);
        // (its first line reports building kmbsteer into the other state dir)
        second.StandardError.Trim().Split('\n').Where(l => l.StartsWith("kmb:", StringComparison.Ordinal))
            .Should().ContainSingle().Which.Should().Contain("already has a steering program");

        var single = await Steer("kss0").ExecuteBufferedAsync(timeout.Token);
        single.ExitCode.Should().Be(2, single.StandardError);
        single.StandardError.Should().Contain("single-queue");

        var set = await Steer("kst0", "--set", "--threshold", "7").ExecuteBufferedAsync(timeout.Token);
        set.ExitCode.Should().Be(0, set.StandardError);
        var notAttached = await Steer("kss0", "--set", "--threshold", "7").ExecuteBufferedAsync(timeout.Token);
        notAttached.ExitCode.Should().Be(2, notAttached.StandardError);
        notAttached.StandardError.Should().Contain("no kmb steer is attached to kss0");

        var done = await first;
        done.ExitCode.Should().Be(0, done.StandardError);
        done.StandardError.Should().Contain("kmbsteer: now period 50 ms, threshold 7", "the attached run took the new threshold");
        done.StandardError.Should().Contain("kst0 is stock again");
        File.ReadAllText(_state.Combine("kst0.stats")).Should().StartWith("device kst0 policy dynamic backend ebpf queues 1 ");

        var again = await Steer("kst0", "--duration", "1").ExecuteBufferedAsync(timeout.Token);
        again.ExitCode.Should().Be(0, "the program was cleared at the end of the first run: " + again.StandardError);
    }

    private Command Steer(string device, params string[] more) =>
        CliWrap.Cli.Wrap("ip").WithArguments(
            ["netns", "exec", _netns, "dotnet", Path.Combine(AppContext.BaseDirectory, "kmb.dll"), "steer", device,
                "--period-ms", "50", "--stats", _state.Combine(device + ".stats"),
                .. more.Contains("--state-dir") ? more : [.. more, "--state-dir", _state.Combine("state")]])
            .WithValidation(CommandResultValidation.None);

    private static async Task Ip(params string[] args)
    {
        var r = await Processes.RunAsync("ip", args);
        r.ExitCode.Should().Be(0, $"ip {string.Join(' ', args)}: {r.StandardError}");
    }
}
