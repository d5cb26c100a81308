using System.Net;
using System.Net.Sockets;
using CsCheck;
using FluentAssertions;
using KmodBalance.Generator.Output;
using KmodBalance.Harness.Steering;
using KmodBalance.Model.Balancing;
using Xunit;
using Xunit.Abstractions;

namespace KmodBalance.Tests.Steering;

/// <summary>
/// The eBPF back end against the C# model: the steering program run by this kernel through
/// BPF_PROG_TEST_RUN, plus kmbsteer's remapper (the module's balancer core on a mirror of the maps),
/// picks the same queue for every packet as DynamicBalancer fed the program's flow hash, and after every
/// remap holds the same flow table, migrations, periods and loads. Traces are sequential (one CPU, remaps
/// between packets) and change the queue count only by detaching or attaching the last queues: that
/// excludes exactly the differences kmod/ebpf/README.md documents (no lock on the packet path, the
/// wall-clock period boundary, a detach in the middle), so here the two must agree exactly.
/// Needs root (the program is loaded) and clang-14, bpftool, libbpf-dev.
/// </summary>
[Trait("Category", "Ebpf")]
public sealed class SteerDifferentialTests(ITestOutputHelper output)
{
    private static readonly Lazy<Task<string>> Kmbsteer = new(() =>
        SteerTool.BuildAsync(StateDirectory.Secure(StateDirectory.DefaultPath), new Progress<string>(), CancellationToken.None));

    [Fact]
    public async Task Program_and_remapper_decide_as_the_model_on_random_traces()
    {
        var kmbsteer = await Kmbsteer.Value;
        SteerTraceGen.Traces.Sample(trace => Check(kmbsteer, trace), iter: 200, threads: 1, writeLine: output.WriteLine);
    }

    [Fact]
    public async Task The_program_keys_its_table_by_the_flow_hash_the_model_is_given()
    {
        var kmbsteer = await Kmbsteer.Value;
        var v4 = new SteerFlow(IPAddress.Parse("198.51.100.7"), IPAddress.Parse("192.0.2.9"), ProtocolType.Udp, 40000, 5001);
        var v6 = new SteerFlow(IPAddress.Parse("2001:db8::7"), IPAddress.Parse("2001:db8:1::9"), ProtocolType.Tcp, 40000, 22);
        using var session = SteerTraceSession.Start(kmbsteer, 4);
        foreach (var flow in new[] { v4, v6 })
        {
            session.Steer(flow, 1);
            session.Steer(flow, 1);  // the second packet of a period admits the flow
        }
        session.Remap(64).FlowQueues.Keys.Should().BeEquivalentTo([v4.Hash, v6.Hash]);
    }

    [Fact]
    public async Task A_heavy_queue_gives_flows_to_an_idle_one_and_the_program_follows_the_move()
    {
        var kmbsteer = await Kmbsteer.Value;
        using var session = SteerTraceSession.Start(kmbsteer, 2);
        var flows = Enumerable.Range(0, 4)
            .Select(i => new SteerFlow(IPAddress.Parse("198.51.100.1"), IPAddress.Parse("192.0.2.1"), ProtocolType.Udp, (ushort)(5000 + i), 5001))
            .ToArray();
        foreach (var f in flows)
        {
            session.Steer(f, 1);
            session.Steer(f, 1);
        }
        var placed = session.Remap(0).FlowQueues;
        // all four were placed with equal loads: two on each queue; now only queue 0's flows send
        var heavy = flows.Where(f => placed[f.Hash] == 0).ToArray();
        heavy.Should().HaveCount(2);
        foreach (var (f, k) in heavy.Select((f, k) => (f, k)))
            for (int i = 0; i < 10 * (k + 1); i++)
                session.Steer(f, 1);
        var state = session.Remap(0);
        state.Migrations.Should().Be(1, "the lighter of queue 0's flows moves to the idle queue 1");
        session.Steer(heavy[0], 1).Should().Be(1, "the program steers the moved flow to its new queue at once");
        session.Steer(heavy[1], 1).Should().Be(0);
    }

    private static void Check(string kmbsteer, SteerTrace trace)
    {
        var model = new DynamicBalancer(trace.Threshold);
        uint n = trace.Queues;
        using var session = SteerTraceSession.Start(kmbsteer, n);
        for (int i = 0; i < trace.Ops.Count; i++)
        {
            switch (trace.Ops[i])
            {
                case SteerPacket p:
                    var flow = trace.Flows[p.Flow];
                    session.Steer(flow, p.Segments).Should().Be(model.Select(flow.Hash, p.Segments, n), $"packet at step {i}");
                    break;
                case SteerResize r:
                    for (uint q = r.Queues; q < n; q++)
                        model.Detach((ushort)q, (ushort)q);
                    n = r.Queues;
                    session.Resize(n);
                    break;
                default:
                    model.Remap(n);
                    var state = session.Remap(trace.Threshold);
                    state.FlowQueues.Should().BeEquivalentTo(model.FlowQueues, $"flow table after the remap at step {i}");
                    state.Migrations.Should().Be(model.Migrations, $"migrations at step {i}");
                    state.Flows.Should().Be(model.FlowCount);
                    state.Periods.Should().Be(model.Periods);
                    var loads = Enumerable.Range(0, (int)n).Where(q => model.LastLoad(q) != 0).ToDictionary(q => q, model.LastLoad);
                    state.Loads.Should().BeEquivalentTo(loads, $"loads after the remap at step {i}");
                    break;
            }
        }
    }
}
