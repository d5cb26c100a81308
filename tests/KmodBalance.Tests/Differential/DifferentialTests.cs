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
        TraceGen.Small.Sample(trace => AssertSame(trace, pool.Run(trace)), iter: 2000, writeLine: output.WriteLine);
    }

    [Fact]
    public async Task Core_decides_as_the_model_when_the_flow_table_is_full()
    {
        var binary = await UserSpaceBuild.GetAsync(UserSpaceFlavor.Sanitized);
        using var pool = new DriverPool(binary);
        TraceGen.Crowded.Sample(trace => AssertSame(trace, pool.Run(trace)), iter: 24, writeLine: output.WriteLine,
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
