using CsCheck;
using KmodBalance.Generator.UserSpace;
using Xunit;
using Xunit.Abstractions;

namespace KmodBalance.Tests.Differential;

/// <summary>
/// The generated kernel C of the balancer (balancer_core.c.sbn, built in user space with
/// AddressSanitizer and UBSan) against the C# reference model (DynamicBalancer): the same
/// queue for every packet, the same flow table, migrations, last loads and flows per
/// queue after every remap. CsCheck shrinks a failing trace to a minimal one and prints
/// it in the driver's input syntax.
/// </summary>
[Trait("Category", "Differential")]
public sealed class DifferentialTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Core_decides_as_the_model_on_random_traces()
    {
        var binary = await UserSpaceBuild.GetAsync(UserSpaceFlavor.Sanitized);
        using var pool = new DriverPool(binary);
        TraceGen.Small.Sample(trace => Check(pool, trace), iter: 2000, writeLine: output.WriteLine);
    }

    [Fact]
    public async Task Core_decides_as_the_model_with_hundreds_of_flows_a_period()
    {
        var binary = await UserSpaceBuild.GetAsync(UserSpaceFlavor.Sanitized);
        using var pool = new DriverPool(binary);
        TraceGen.Many.Sample(trace => Check(pool, trace), iter: 300, writeLine: output.WriteLine,
            print: t => $"threshold {t.Threshold}, {t.Ops.Count} ops (too long to print)");
    }

    /// <summary>
    /// Also the regression test of the hang in the full suite: each of these batches is
    /// more than a pipe holds (64 KiB) in each direction, commands in and answers out.
    /// </summary>
    [Fact]
    public async Task Core_decides_as_the_model_when_the_flow_table_is_full()
    {
        var binary = await UserSpaceBuild.GetAsync(UserSpaceFlavor.Sanitized);
        using var pool = new DriverPool(binary);
        TraceGen.Crowded.Sample(trace => Check(pool, trace), iter: 24, writeLine: output.WriteLine,
            print: t => $"threshold {t.Threshold}, {t.Ops.Count} ops (too long to print)");
    }

    [Fact]
    public async Task Driver_reports_a_mismatch_rather_than_passing_silently()
    {
        // the comparison itself must be able to fail: a model with another threshold differs
        var binary = await UserSpaceBuild.GetAsync(UserSpaceFlavor.Sanitized);
        using var pool = new DriverPool(binary);
        var trace = new Trace(0, [
            new PacketOp(1, 1, 2), new PacketOp(1, 1, 2), new PacketOp(1, 1, 2), new PacketOp(1, 1, 2),
            new PacketOp(2, 1, 2), new PacketOp(3, 1, 2), new RemapOp(2),
        ]);
        var actual = pool.Run(trace);
        AssertSame(trace, actual);
        var other = trace with { Threshold = 100 };
        Assert.NotEqual(other.Expected(), pool.Run(other with { Threshold = 0 }));
    }

    /// <summary>
    /// Fails with the first step where C and C# part, and with the smallest trace that
    /// still fails after removing steps one chunk at a time (CsCheck's shrinking picks a
    /// simpler trace among the samples; this takes it down to the steps that matter).
    /// </summary>
    internal static void Check(DriverPool pool, Trace trace)
    {
        var failure = Failure(pool, trace);
        if (failure is null)
            return;
        var minimal = Minimize(pool, trace, TimeSpan.FromSeconds(20));
        throw new Xunit.Sdk.XunitException(
            $"{Failure(pool, minimal) ?? failure}\nminimal trace ({minimal.Ops.Count} of {trace.Ops.Count} steps, threshold {minimal.Threshold}; " +
            $"replay: balance_driver < trace):\n{minimal.Commands()}");
    }

    private static string? Failure(DriverPool pool, Trace trace)
    {
        try
        {
            AssertSame(trace, pool.Run(trace));
            return null;
        }
        catch (Xunit.Sdk.XunitException e)
        {
            return e.Message;
        }
        catch (UserSpaceCrashException e)
        {
            return e.Message;
        }
    }

    /// <summary>Delta debugging over the steps, within a time budget.</summary>
    private static Trace Minimize(DriverPool pool, Trace trace, TimeSpan budget)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var ops = trace.Ops.ToList();
        for (int chunk = Math.Max(1, ops.Count / 2); chunk >= 1 && clock.Elapsed < budget; chunk /= 2)
        {
            bool removed;
            do
            {
                removed = false;
                for (int i = 0; i < ops.Count && clock.Elapsed < budget;)
                {
                    var candidate = ops.Take(i).Concat(ops.Skip(i + chunk)).ToList();
                    if (candidate.Count > 0 && Failure(pool, trace with { Ops = candidate }) is not null)
                    {
                        ops = candidate;
                        removed = true;
                    }
                    else
                    {
                        i += chunk;
                    }
                }
            }
            while (removed && chunk == 1);
        }
        var simpler = ops.Select(op => op is PacketOp p ? p with { Length = 1 } : op).ToList();
        if (Failure(pool, trace with { Ops = simpler }) is not null)
            ops = simpler;
        return trace with { Ops = ops };
    }

    /// <summary>Compares line by line and names the first step where C and C# part.</summary>
    internal static void AssertSame(Trace trace, IReadOnlyList<string> actual)
    {
        var expected = trace.Expected();
        int line = 0;
        for (int i = 0; i < trace.Ops.Count; i++)
        {
            var op = trace.Ops[i];
            int count = op is RemapOp ? 3 : 1;
            for (int k = 0; k < count; k++, line++)
            {
                var c = line < actual.Count ? actual[line] : "(nothing)";
                if (c != expected[line])
                    throw new Xunit.Sdk.XunitException(
                        $"step {i} `{op.Command(trace.Threshold)}`: C says `{Clip(c)}`, the model `{Clip(expected[line])}`");
            }
        }
        if (actual.Count != expected.Count)
            throw new Xunit.Sdk.XunitException($"the driver printed {actual.Count} lines, the model {expected.Count}");
    }

    private static string Clip(string s) => s.Length <= 400 ? s : s[..400] + " ...";
}
