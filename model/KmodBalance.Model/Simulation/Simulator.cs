using KmodBalance.Model.Balancing;

namespace KmodBalance.Model.Simulation;

/// <summary>Everything one simulation produced: one result per policy, runs paired (same flows, same hash seed).</summary>
public sealed record SimulationReport(string Scenario, SimulationOptions Options, IReadOnlyList<PolicyResult> Policies);

/// <summary>
/// Time-stepped simulator. Each tick (default 1 ms) every active flow sends the packets its
/// previous allocation paid for through the policy (which picks their queue), then every
/// queue's vCPU capacity is shared max-min fairly among the flows whose last packet went
/// to it. Each queue is a FIFO ring its vCPU serves at the queue's capacity: what the guest
/// receives, and when, comes from the rings, so a flow whose packets sit in two rings at
/// once can arrive out of order (<see cref="RunMetrics.Reordered"/>). The policy's period
/// ends every <see cref="SimulationOptions.PeriodMs"/>. A flow's guest replies from the vCPU
/// its receiving application runs on (<see cref="FlowSpec.AppCpu"/>, a scenario input; stock
/// automq and adaptive learn from replies); a flow without one never replies.
/// </summary>
public static class Simulator
{
    /// <summary>Runs a built-in scenario for every policy.</summary>
    public static SimulationReport Run(string scenario, IReadOnlyList<Policy> policies, SimulationOptions o)
    {
        if (!Scenarios.Names.Contains(scenario))
            throw new ArgumentException($"unknown scenario '{scenario}'; known: {string.Join(", ", Scenarios.Names)}", nameof(scenario));
        var runs = Enumerable.Range(1, o.Runs).Select(r =>
        {
            var rng = Rng.ForRun(o.Seed, r);
            var flows = Scenarios.Build(scenario, rng, o.Cap);
            return (Run: r, Flows: flows, HashSeed: rng.NextULong());
        }).ToArray();
        return new SimulationReport(scenario, o, [.. policies.Select(p => new PolicyResult(
            p.Name(), scenario,
            [.. runs.Select(r => RunFlows(p.Create(o), r.Flows, o, r.HashSeed, r.Run))]))]);
    }

    /// <summary>Replays a packet trace for every policy; each run hashes the 5-tuples with its own seed.</summary>
    public static SimulationReport RunTrace(string name, IReadOnlyList<TracePacket> packets, IReadOnlyList<Policy> policies, SimulationOptions o)
    {
        var seeds = Enumerable.Range(1, o.Runs).Select(r => (Run: r, HashSeed: Rng.ForRun(o.Seed, r).NextULong())).ToArray();
        return new SimulationReport(name, o, [.. policies.Select(p => new PolicyResult(
            p.Name(), name,
            [.. seeds.Select(s => RunTrace(p.Create(o), packets, o, s.HashSeed, s.Run))]))]);
    }

    /// <summary>One run of closed-loop, TCP-like flows.</summary>
    public static RunMetrics RunFlows(IQueueSelector selector, ScenarioRun scenario, SimulationOptions o, ulong hashSeed, int run = 1)
    {
        var cap = o.Cap;
        uint n = (uint)o.Queues;
        int tickUs = cap.TickUs;
        int ticks = (int)Math.Round(scenario.DurationSec * 1e6 / tickUs);
        int periodTicks = Math.Max(1, (int)((long)o.PeriodMs * 1000 / tickUs));
        double bpt = cap.BytesPerGbpsTick, queueBytes = cap.QueueGbps * bpt;

        var flows = scenario.Flows.OrderBy(f => f.StartSec).ToArray();
        int count = flows.Length;
        if (count >= 1 << 24)
            throw new ArgumentException($"a scenario holds at most {(1 << 24) - 1} flows", nameof(scenario));
        var hash = flows.Select(f => f.Tuple.Hash(hashSeed)).ToArray();
        var appCpu = flows.Select(f => f.AppCpu is { } c ? (int?)(c % (int)n) : null).ToArray();
        var remaining = flows.Select(f => f.SizeBytes).ToArray();
        var credit = new double[count];
        var lastAlloc = new double[count];
        var queue = Enumerable.Repeat(-1, count).ToArray();
        var demand = new double[count];

        var rec = new RunRecorder((int)n, cap);
        var rings = new Rings(selector, rec, n, queueBytes / tickUs, tickUs, ticks);
        var active = new List<int>();
        var sends = new List<long>();  // (time << 24) | flow: sorts by time, then flow
        var onQueue = Enumerable.Range(0, (int)n).Select(_ => new List<int>()).ToArray();
        var delivered = new double[n];
        int next = 0;

        for (int k = 0; k < ticks; k++)
        {
            ulong now = (ulong)k * (ulong)tickUs;
            if (k > 0 && k % periodTicks == 0)
            {
                selector.EndPeriod(n);
                rec.EndPeriod();
            }
            while (next < count && flows[next].StartSec * 1e6 <= now)
                active.Add(next++);

            // Send what the last allocation paid for (a new flow sends its first packet at once),
            // every flow's packets spread evenly over the tick, all of them in time order.
            sends.Clear();
            foreach (int f in active)
            {
                uint pkt = flows[f].PacketBytes;
                credit[f] += lastAlloc[f];
                int m = (int)(credit[f] / pkt);
                if (queue[f] < 0)
                    m = Math.Max(m, 1);
                for (int j = 0; j < m; j++)
                    sends.Add((long)(now + (ulong)((2L * j + 1) * tickUs / (2L * m))) << 24 | (long)f);
                credit[f] -= (double)m * pkt;
            }
            sends.Sort();
            foreach (long send in sends)
            {
                int f = (int)(send & 0xFFFFFF);
                queue[f] = rings.Send(hash[f], flows[f].Segments, flows[f].PacketBytes, (ulong)(send >> 24));
            }
            active.RemoveAll(f => remaining[f] <= 0);

            // Share each queue's vCPU among its flows: what each may send in the next tick. What still
            // waits in the ring is served first (the senders are ACK-clocked: no standing queue).
            foreach (var list in onQueue)
                list.Clear();
            double offered = 0;
            double tSec = now / 1e6;
            foreach (int f in active)
            {
                demand[f] = Math.Min(flows[f].DemandAt(tSec) * bpt, remaining[f]);
                offered += demand[f];
                onQueue[queue[f]].Add(f);
            }
            for (int q = 0; q < n; q++)
            {
                double free = Math.Max(0, queueBytes - rings.BacklogBytesAt(q, now + (ulong)tickUs));
                var share = ShareCapacity(free, [.. onQueue[q].Select(f => demand[f])]);
                for (int i = 0; i < share.Length; i++)
                {
                    int f = onQueue[q][i];
                    lastAlloc[f] = share[i];
                    remaining[f] -= share[i];
                    if (share[i] > 0 && appCpu[f] is { } cpu)
                        selector.GuestSent(hash[f], (ushort)cpu, now + (ulong)tickUs - 1);
                }
                delivered[q] = rings.ServedIn(q, k);
            }
            rec.Tick(delivered, Math.Min(offered, n * queueBytes));
        }
        rec.EndPeriod();
        return rec.Finish(run, count);
    }

    /// <summary>
    /// One open-loop replay of a packet trace: each queue's vCPU serves its ring at its capacity; a
    /// packet arriving at a full ring is lost. The guest's TCP receivers run on vCPUs assigned
    /// round-robin in order of first appearance (a trace does not say where they run).
    /// </summary>
    public static RunMetrics RunTrace(IQueueSelector selector, IReadOnlyList<TracePacket> packets, SimulationOptions o, ulong hashSeed, int run = 1)
    {
        var cap = o.Cap;
        uint n = (uint)o.Queues;
        int tickUs = cap.TickUs;
        int periodTicks = Math.Max(1, (int)((long)o.PeriodMs * 1000 / tickUs));
        double queueBytes = cap.QueueGbps * cap.BytesPerGbpsTick;
        long ticks = packets.Count == 0 ? 0 : (long)(packets[^1].TimeUs / (ulong)tickUs) + 1;

        var hashOf = new Dictionary<FiveTuple, uint>();
        var appCpu = new Dictionary<uint, ushort>();
        var rec = new RunRecorder((int)n, cap);
        var rings = new Rings(selector, rec, n, queueBytes / tickUs, tickUs, ticks);
        var offered = new double[n];
        var delivered = new double[n];
        int idx = 0;
        for (long k = 0; k < ticks; k++)
        {
            ulong now = (ulong)k * (ulong)tickUs, end = now + (ulong)tickUs;
            if (k > 0 && k % periodTicks == 0)
            {
                selector.EndPeriod(n);
                rec.EndPeriod();
            }
            Array.Clear(offered);
            for (; idx < packets.Count && packets[idx].TimeUs < end; idx++)
            {
                var p = packets[idx];
                if (!hashOf.TryGetValue(p.Tuple, out uint h))
                    hashOf[p.Tuple] = h = p.Tuple.Hash(hashSeed);
                ushort q = rings.Send(h, FlowSpec.SegmentsOf(p.Tuple.IsTcp, p.Size), p.Size, p.TimeUs);
                offered[q] += p.Size;
                if (p.Tuple.IsTcp)
                {
                    if (!appCpu.TryGetValue(h, out var cpu))
                        appCpu[h] = cpu = (ushort)(appCpu.Count % (int)n);
                    selector.GuestSent(h, cpu, p.TimeUs);
                }
            }
            double total = 0;
            for (int q = 0; q < n; q++)
            {
                delivered[q] = rings.ServedIn(q, k);
                total += offered[q];
            }
            rec.Tick(delivered, Math.Min(total, n * queueBytes));
        }
        rec.EndPeriod();
        return rec.Finish(run, hashOf.Values.Distinct().Count());
    }

    /// <summary>
    /// The device's queues as FIFO rings in front of the guest's vCPUs. Every packet, in time
    /// order: the vCPUs run until its time (the policy hears what they took off each ring),
    /// the policy picks its queue, and its ring delivers it (or drops it when full).
    /// </summary>
    private sealed class Rings(IQueueSelector selector, RunRecorder rec, uint n, double bytesPerUs, int tickUs, long ticks)
    {
        private readonly QueueFifo[] _fifo = [.. Enumerable.Range(0, (int)n).Select(_ => new QueueFifo(bytesPerUs, tickUs, ticks))];

        public ushort Send(uint hash, uint segments, uint bytes, ulong timeUs)
        {
            for (int q = 0; q < _fifo.Length; q++)
            {
                uint left = _fifo[q].Advance(timeUs);
                if (left > 0)
                    selector.Dequeued((ushort)q, left);
            }
            ushort queue = selector.Select(hash, segments, n, timeUs);
            rec.Packet(hash, queue);
            double? departure = null;
            if (!selector.LastDropped)
            {
                departure = _fifo[queue].Enqueue(timeUs, bytes);
                if (departure is null)
                    selector.Dropped(queue, 1);
            }
            rec.Delivery(hash, departure);
            return queue;
        }

        public double ServedIn(int queue, long tick) => _fifo[queue].ServedIn(tick);

        public double BacklogBytesAt(int queue, ulong timeUs) => _fifo[queue].BacklogBytesAt(timeUs);
    }

    /// <summary>
    /// Max-min fair share of <paramref name="capacity"/> among demands (water-filling): a flow
    /// asking less than an equal share gets what it asks, the rest split the remainder.
    /// </summary>
    public static double[] ShareCapacity(double capacity, IReadOnlyList<double> demands)
    {
        var share = new double[demands.Count];
        var order = Enumerable.Range(0, demands.Count).OrderBy(i => demands[i]).ToArray();
        double left = capacity;
        for (int k = 0; k < order.Length; k++)
        {
            double fair = left / (order.Length - k);
            double give = Math.Min(Math.Max(demands[order[k]], 0), fair);
            share[order[k]] = give;
            left -= give;
        }
        return share;
    }
}
