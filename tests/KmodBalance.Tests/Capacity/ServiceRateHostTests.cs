using CliWrap;
using CliWrap.Buffered;
using FluentAssertions;
using KmodBalance.Harness.Capacity;
using KmodBalance.Harness.Check;
using KmodBalance.Harness.Images;
using KmodBalance.Harness.Lab;
using KmodBalance.Tests.Support;
using Xunit.Abstractions;

namespace KmodBalance.Tests.Capacity;

/// <summary>mqtap's service rate (-R) and window (-w) on the runner's own stock tun, inside a throwaway
/// network namespace (no VM): two flows into a one-queue multi-queue tap whose reader takes fewer datagrams
/// a second than they offer. Asserts what the token bucket guarantees whatever the runner's speed: never
/// more than rate x window + bucket delivered, nothing after the window, a FIFO queue never reorders a flow.
/// Needs root, gcc (static glibc) and /dev/net/tun; run with --filter Category=LabTools.</summary>
[Trait("Category", "LabTools")]
public sealed class ServiceRateHostTests(ITestOutputHelper output) : IAsyncLifetime
{
    private static int _next;
    private readonly TempDir _state = new();
    private readonly string _netns = $"kmb-cap-{Environment.ProcessId}-{Interlocked.Increment(ref _next)}";
    private IReadOnlyDictionary<string, string> _tools = new Dictionary<string, string>();
    private static string VmImages => new LabEnvironment().ResolveVmImagesDir();

    public async Task InitializeAsync()
    {
        _tools = await LabTools.BuildAsync(LabTools.SourceDir(VmImages), _state.Path, new Progress<string>(), default);
        (await CliWrap.Cli.Wrap("ip").WithArguments(["netns", "add", _netns]).WithValidation(CommandResultValidation.None).ExecuteBufferedAsync())
            .ExitCode.Should().Be(0);
    }

    public async Task DisposeAsync()
    {
        await CliWrap.Cli.Wrap("ip").WithArguments(["netns", "del", _netns]).WithValidation(CommandResultValidation.None).ExecuteBufferedAsync();
        _state.Dispose();
    }

    [Fact]
    public async Task A_queue_served_at_a_fixed_rate_delivers_at_most_that_rate_in_order()
    {
        const int rate = 500, windowMs = 1100;
        var args = new[] { "netns", "exec", _netns, "sh", Path.Combine(VmImages, "l1", "check-flows.sh"), "kmbq0", "-", "-",
            $"-q 1 -R {rate}:8 -w {windowMs} -i {windowMs} -S 0", "41001:400:0:400", "41002:400:0:400" };
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var r = await CliWrap.Cli.Wrap("ip").WithArguments(args).WithValidation(CommandResultValidation.None)
            .WithEnvironmentVariables(new Dictionary<string, string?> { ["KMB_BIN"] = Path.GetDirectoryName(_tools["mqtap"]), ["KMB_DMESG"] = "0" })
            .ExecuteBufferedAsync(cts.Token);
        output.WriteLine(string.Join('\n', r.StandardOutput.Split('\n').Where(l => !l.StartsWith("bucket", StringComparison.Ordinal))));
        r.ExitCode.Should().Be(0, r.StandardError);

        var o = CheckFlowsOutputParser.Parse(r.StandardOutput);
        var seen = ToolOutputParser.ParseMqtap(o.Mqtap);
        var sent = ToolOutputParser.ParseUdpflows(o.Udpflows);
        o.MqtapExitCode.Should().Be(0, o.MqtapStderr);
        seen.EndReason.Should().Be("window");
        o.Mqtap.Should().Contain($"service pps={rate} burst=8 window_ms={windowMs}");
        var delivered = seen.Flows.Sum(f => f.Unique);
        delivered.Should().BeGreaterThan(0);
        delivered.Should().BeLessThanOrEqualTo(rate * windowMs / 1000 + 8, "the reader takes at most its rate over the window, plus its bucket");
        delivered.Should().BeLessThan(sent.Flows.Sum(f => f.Sent), "800 a second offered to a reader of 500");
        CapacityTrial.CountReordered(o.Mqtap).Should().Be(0, "one queue is one FIFO ring");
    }
}
