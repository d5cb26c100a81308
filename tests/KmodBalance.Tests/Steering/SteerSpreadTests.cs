using System.Globalization;
using CliWrap;
using CliWrap.Buffered;
using FluentAssertions;
using KmodBalance.Generator.Output;
using KmodBalance.Harness.Check;
using KmodBalance.Harness.Images;
using KmodBalance.Tests.Support;
using Xunit;
using Xunit.Abstractions;

namespace KmodBalance.Tests.Steering;

/// <summary>
/// `kmb steer` on live traffic, in a network namespace of the test's own: mqtap holds a 4-queue tap as a
/// VMM would and records which queue every datagram got, udpflows sends 4 UDP flows (198.51.100.0/24)
/// into it, 3 s each, bounded. The flows start 500 ms apart (two and a half periods, so that a remapper
/// held up by a busy machine still shows the earlier flows' load), so each new flow is placed (on its
/// second datagram; the first goes to its hash queue) knowing the load of the ones before it, and the
/// four end up on four queues, one each, while all four send. Flows that open in the same instant can
/// herd under dynamic, here as in the module (placement compares last period's loads before flow
/// counts, so a period boundary between flows' first and second packets makes the queues their first
/// packets were hashed to look loaded; and the remapper never splits two equal flows, BALANCER.md
/// step 4): that is the policy, not the back end. Needs root.
/// </summary>
[Trait("Category", "Ebpf")]
[Collection(SteerLive.Collection)]
public sealed class SteerSpreadTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string Tap = "kmbss0";
    private static readonly int[] Ports = [5001, 5002, 5003, 5004];
    private readonly string _netns = $"kmbsteer-spread-{Environment.ProcessId.ToString(CultureInfo.InvariantCulture)}";
    private readonly TempDir _dir = new();

    public Task InitializeAsync() => Run("ip", "netns", "add", _netns);

    public async Task DisposeAsync()
    {
        await Processes.RunAsync("ip", ["netns", "del", _netns]);
        _dir.Dispose();
    }

    [Fact]
    public async Task Four_udp_flows_end_up_on_four_queues()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        var state = StateDirectory.Secure(_dir.Combine("state"));
        var tools = await LabTools.BuildAsync(CheckoutLabTools(), state, new Progress<string>(), timeout.Token);
        await Run("ip", "-n", _netns, "link", "set", "lo", "up");

        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var mqtap = InNetns(tools["mqtap"], "-q", "4", "-t", "25", "-i", "1500", "-b", "500", Tap)
            .WithStandardOutputPipe(PipeTarget.ToDelegate(line =>
            {
                if (line.StartsWith("READY", StringComparison.Ordinal)) ready.TrySetResult();
            }))
            .ExecuteBufferedAsync(timeout.Token);
        await Task.WhenAny(ready.Task, mqtap.Task);
        ready.Task.IsCompleted.Should().BeTrue("mqtap must come up");
        await Run("ip", "-n", _netns, "addr", "add", "198.51.100.1/24", "dev", Tap);
        await Run("ip", "-n", _netns, "link", "set", Tap, "up");
        await Run("ip", "-n", _netns, "neigh", "replace", "198.51.100.2", "lladdr", "02:00:00:00:00:02", "dev", Tap, "nud", "permanent");

        var stats = _dir.Combine("stats");
        var steer = InNetns("dotnet", Path.Combine(AppContext.BaseDirectory, "kmb.dll"), "steer", Tap, "--duration", "9",
            "--stats", stats, "--state-dir", state).ExecuteBufferedAsync(timeout.Token);
        while (!File.Exists(stats))
        {
            steer.Task.IsCompleted.Should().BeFalse("kmb steer must attach: " + (steer.Task.IsCompleted ? (await steer).StandardError : ""));
            await Task.Delay(50, timeout.Token);
        }

        var send = await InNetns(tools["udpflows"], ["-b", "198.51.100.1", "-d", "198.51.100.2", "-p", "9", "-T", "5",
            .. Ports.Select((p, i) => $"{p}:1000:{i * 500}:3000")]).ExecuteBufferedAsync(timeout.Token);
        send.ExitCode.Should().Be(0, send.StandardOutput + send.StandardError);
        var read = await mqtap;
        read.ExitCode.Should().Be(0, read.StandardError);
        var steered = await steer;  // its duration outlasts the traffic
        steered.ExitCode.Should().Be(0, steered.StandardError);
        output.WriteLine(File.ReadAllText(stats));

        var report = ToolOutputParser.ParseMqtap(read.StandardOutput);
        output.WriteLine(string.Join('\n', report.Slots.Select(s => $"slot {s.Slot}: {s.Frames} frames")));
        // from the bucket after the last flow's start: a flow's first datagram goes to its hash queue
        var allSending = report.Buckets.Where(b => b.TimeMs is >= 2000 and < 3000).ToList();
        var slotOf = Ports.ToDictionary(p => p, p => allSending.Where(b => b.Port == p)
            .SelectMany(b => b.FramesPerSlot.Select((frames, slot) => (frames, slot))).Where(x => x.frames > 0)
            .Select(x => x.slot).Distinct().ToList());
        slotOf.Values.Should().AllSatisfy(slots => slots.Should().ContainSingle("a flow stays on one queue once placed"));
        slotOf.Values.Select(s => s[0]).Should().OnlyHaveUniqueItems("the four flows are on four queues");
    }

    private static string CheckoutLabTools() =>
        Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", "..", "kmod", "lab-tools"));

    private Command InNetns(string program, params string[] args) =>
        CliWrap.Cli.Wrap("ip").WithArguments(["netns", "exec", _netns, program, .. args]).WithValidation(CommandResultValidation.None);

    private static async Task Run(params string[] command)
    {
        var r = await Processes.RunAsync(command[0], command[1..]);
        r.ExitCode.Should().Be(0, $"{string.Join(' ', command)}: {r.StandardError}");
    }
}
