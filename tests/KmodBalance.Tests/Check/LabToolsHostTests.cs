using CliWrap;
using CliWrap.Buffered;
using FluentAssertions;
using KmodBalance.Harness.Check;
using KmodBalance.Harness.Images;
using KmodBalance.Harness.Lab;
using KmodBalance.Harness.Reporting;
using KmodBalance.Tests.Support;
using Xunit.Abstractions;

namespace KmodBalance.Tests.Check;

/// <summary>Compiles mqtap and udpflows as the harness does and runs vm-images/l1/check-flows.sh against
/// the runner's own (stock) tun inside a throwaway network namespace: proves the per-queue counting,
/// the sequence accounting and TUNSETQUEUE handling without a VM. Needs root, gcc (static glibc) and
/// /dev/net/tun; run with --filter Category=LabTools. Touches no host interface: the tap lives in
/// the namespace, addresses are 198.51.100.0/24, every run is bounded, the namespace is always deleted.</summary>
[Trait("Category", "LabTools")]
public sealed class LabToolsHostTests(ITestOutputHelper output) : IAsyncLifetime
{
    private static int _next;
    private readonly TempDir _state = new();
    private readonly string _netns = $"kmb-chk-{Environment.ProcessId}-{Interlocked.Increment(ref _next)}";
    private IReadOnlyDictionary<string, string> _tools = new Dictionary<string, string>();
    private static string VmImages => new LabEnvironment().ResolveVmImagesDir();

    public async Task InitializeAsync()
    {
        _tools = await LabTools.BuildAsync(LabTools.SourceDir(VmImages), _state.Path, new Progress<string>(), default);
        await Run("ip", ["netns", "add", _netns], TimeSpan.FromSeconds(10));
    }

    public async Task DisposeAsync()
    {
        await Run("ip", ["netns", "del", _netns], TimeSpan.FromSeconds(10), check: false);
        _state.Dispose();
    }

    private async Task<BufferedCommandResult> Run(string exe, string[] args, TimeSpan timeout, bool check = true,
        IReadOnlyDictionary<string, string?>? env = null)
    {
        using var cts = new CancellationTokenSource(timeout);
        var cmd = CliWrap.Cli.Wrap(exe).WithArguments(args).WithValidation(CommandResultValidation.None);
        if (env is not null) cmd = cmd.WithEnvironmentVariables(env);
        var r = await cmd.ExecuteBufferedAsync(cts.Token);
        if (check) r.ExitCode.Should().Be(0, $"{exe} {string.Join(' ', args)}: {r.StandardError}");
        return r;
    }

    private async Task<ScenarioObservation> RunScenario(CheckScenario scenario)
    {
        // the runner's stock tun has no balancer: nothing to turn on
        var s = scenario with { Balance = false };
        var args = new List<string> { "netns", "exec", _netns, "sh", Path.Combine(VmImages, "l1", "check-flows.sh"), "kmbq0", "-", "-", s.MqtapOptions };
        args.AddRange(s.Flows.Select(f => f.Spec));
        var env = s.Environment.ToDictionary(e => e.Key, e => (string?)e.Value);
        env["KMB_BIN"] = Path.GetDirectoryName(_tools["mqtap"]);
        env["KMB_DMESG"] = "0";
        var r = await Run("ip", [.. args], TimeSpan.FromSeconds(s.TrafficSeconds + 30), env: env);
        output.WriteLine(r.StandardOutput.Length > 4000 ? r.StandardOutput[..4000] : r.StandardOutput);
        var o = CheckFlowsOutputParser.Parse(r.StandardOutput);
        o.MqtapExitCode.Should().Be(0, o.MqtapStderr);
        o.UdpflowsExitCode.Should().Be(0);
        return new ScenarioObservation(s, ToolOutputParser.ParseUdpflows(o.Udpflows), ToolOutputParser.ParseMqtap(o.Mqtap), o.Dmesg);
    }

    [Fact]
    public async Task Guest_replies_teach_the_stock_tun_automq_as_the_model_predicts()
    {
        // optin's first phase on the runner's own stock tun: no switch, replies learnt throughout
        var optin = CheckScenarios.For(Policy.Hash).Single(x => x.Name == "optin") with { Events = [], Properties = [] };
        var o = await RunScenario(optin);
        o.Seen.Replies.Should().NotBeEmpty().And.OnlyContain(r => r.ReturnCode == 0);
        var tracks = FlowTracks.Build(o.Scenario, o.Seen);
        foreach (var port in new[] { 40001, 40002 })
        {
            var t = tracks.Single(x => x.Port == port);
            var first = o.Seen.Replies.First(r => r.Port == port);
            t.Segments.Where(x => x.FirstUs > first.EndUs).Should().OnlyContain(x => x.Slot == first.Slot, $"automq learnt {port}'s queue from the reply");
            t.Segments[0].Slot.Should().NotBe(first.Slot);
        }
        tracks.Where(x => x.Port is 40003 or 40004).Should().OnlyContain(x => x.Segments.Select(y => y.Slot).Distinct().Count() == 1, "unanswered flows keep their hash queue");
        o.Seen.Other.Should().Be(0, "the replies reach udpflows' sockets: no ICMP goes back out");
    }

    [Fact]
    public async Task A_flood_is_counted_per_queue_and_the_paced_flows_run_past_it()
    {
        var flood = CheckScenarios.For(Policy.Dynamic).Single(x => x.Name == "flood") with { Properties = [] };
        var o = await RunScenario(flood);
        o.Sent.Flood!.Sent.Should().Be(CheckScenarios.FloodCount);
        // Every datagram sent is read from its queue or dropped by the tap (counted in tx_dropped). A runner
        // slow enough that the flood still runs when the paced flows start drops some of theirs too.
        var dropped = o.Seen.TxDroppedAfter - o.Seen.TxDroppedBefore;
        (o.Seen.FloodFrames + o.Seen.Slots.Sum(x => x.Frames) + dropped).Should().Be(CheckScenarios.FloodCount + o.Sent.Flows.Sum(f => f.Sent));
        o.Seen.Other.Should().Be(0, "the tap carries only udpflows' datagrams (IPv6 is off on it)");
        o.Seen.Flood.Sum(b => b.FramesPerSlot.Sum()).Should().Be(o.Seen.FloodFrames);
        o.Sent.Flows.Should().OnlyContain(f => f.LastNs - o.Sent.Flood.LastNs >= (CheckScenarios.FloodTailMs - 20) * 1_000_000L);
    }

    [Fact]
    public async Task Every_datagram_is_counted_once_per_queue_and_flow_on_the_stock_tun()
    {
        var s = CheckScenarios.Sticky;
        var o = await RunScenario(s);

        o.Seen.Flows.Should().HaveCount(8).And.OnlyContain(f => f.Unique == 300 && f.Duplicates == 0 && f.Gaps == 0 && f.MaxSeq == 299);
        o.Seen.Buckets.Sum(b => b.FramesPerSlot.Sum()).Should().Be(8 * 300);
        o.Seen.Slots.Sum(x => x.Frames).Should().Be(8 * 300);
        for (int slot = 0; slot < 4; slot++)
            o.Seen.Slots[slot].Frames.Should().Be(o.Seen.Buckets.Sum(b => b.FramesPerSlot[slot]), $"slot {slot}'s count is the sum of its flows'");
        o.Seen.Buckets.Where(b => b.Port == 40001).Select(b => b.TimeMs).Should().OnlyHaveUniqueItems().And.BeInAscendingOrder();
        (o.Seen.Other, o.Seen.DetachedReads, o.Seen.TxDroppedAfter - o.Seen.TxDroppedBefore).Should().Be((0, 0, 0));
        ScenarioAnalyzer.Judge(o).Should().OnlyContain(v => v.Verdict == LabVerdicts.Pass, "the stock tun steers a flow that the guest never answers by its hash");
    }

    [Fact]
    public async Task Queues_detached_and_attached_under_traffic_are_followed_on_the_stock_tun()
    {
        var o = await RunScenario(CheckScenarios.Requeue(dynamic: false));

        o.Seen.Events.Should().HaveCount(4).And.OnlyContain(e => e.Done && e.ReturnCode == 0);
        o.Seen.Maps.Select(m => string.Join(',', m.QueueOfSlot)).Should().Equal("0,1,2,3", "0,-1,2,1", "0,-1,-1,1", "0,2,-1,1", "0,2,3,1");
        var segmentsBetween = o.Seen.Segments.Where(x => x.FirstUs > o.Seen.Events[1].EndUs && x.LastUs < o.Seen.Events[2].BeginUs).ToList();
        // Possibly empty: no run of datagrams may fit wholly between the two events on a slow runner.
        segmentsBetween.Should().NotContain(x => x.Slot != 0 && x.Slot != 3, "with slots 1 and 2 detached only slots 0 and 3 are queues");
        var v = ScenarioAnalyzer.Judge(o).Single();
        v.Verdict.Should().Be(LabVerdicts.Pass, v.Message);
    }

    [Theory]
    [InlineData("mqtap", new string[0], "exactly one IFNAME")]
    [InlineData("mqtap", new[] { "-q", "0", "x" }, "QUEUES must be an integer in 1..16")]
    [InlineData("mqtap", new[] { "-e", "detach:9@1", "-q", "4", "x" }, "an event names a SLOT beyond QUEUES")]
    [InlineData("mqtap", new[] { "-e", "drop:1@5", "x" }, "an event is detach:SLOT@MS")]
    [InlineData("udpflows", new string[0], "no flow given")]
    [InlineData("udpflows", new[] { "40001:0:0:10" }, "PPS must be an integer")]
    [InlineData("udpflows", new[] { "40001:10:0" }, "a flow is SPORT:PPS:START_MS:COUNT")]
    [InlineData("udpflows", new[] { "40001:10:0:1", "40001:10:0:1" }, "two flows share a source port")]
    public async Task A_usage_error_exits_2_with_a_message(string tool, string[] args, string message)
    {
        var r = await Run(_tools[tool], args, TimeSpan.FromSeconds(10), check: false);
        r.ExitCode.Should().Be(2);
        r.StandardError.Should().Contain(message).And.Contain("usage:");
    }
}
