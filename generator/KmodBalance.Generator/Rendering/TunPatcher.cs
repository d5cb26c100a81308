using System.Text.RegularExpressions;
using KmodBalance.Generator.Detection;
using KmodBalance.Generator.Source;

namespace KmodBalance.Generator.Rendering;

/// <summary>
/// Turns an input tun.c into the patched one for a policy. Every edit is anchored
/// on a shape <see cref="ApiDetector"/> has already verified, and edits are
/// applied from the end of the file backwards so earlier offsets stay valid.
/// </summary>
public static partial class TunPatcher
{
    public static string Apply(string tunC, KernelApiProfile profile, Policy policy, Tunables tunables)
    {
        if (policy == Policy.Stock)
            return tunC;

        var edits = new List<Edit>
        {
            SelectEdit(tunC, profile, policy, tunables),
            IncludeEdit(tunC, policy),
            StructEdit(tunC),
        };
        // adaptive places flows on the queue automq learns: learning goes on while it balances
        if (policy != Policy.Adaptive)
            edits.AddRange(LearningEdits(tunC, profile));
        edits.AddRange(LifecycleEdits(tunC, profile));
        edits.AddRange(ModuleEdits(tunC));
        if (policy.Remaps())
        {
            edits.Add(DetachEdit(tunC));
            if (profile.HasXdpXmit)
                edits.Add(XdpEdit(tunC));
        }
        // a paused adaptive flow's packets are dropped where tun_net_xmit() queues them
        if (policy == Policy.Adaptive && PtrRing().IsMatch(tunC))
            edits.Add(ProduceEdit(tunC));
        return ApplyEdits(tunC, edits);
    }

    /// <summary>
    /// tun_select_queue() asks the balancer first when the device balances, else does what
    /// stock does. Kernels without a separate automq function keep their select as
    /// tun_stock_select_queue().
    /// </summary>
    private static Edit SelectEdit(string tunC, KernelApiProfile profile, Policy policy, Tunables tunables)
    {
        var select = CSource.FindFunction(tunC, "tun_select_queue")!;
        var stock = profile.HasAutomqFunction ? ""
            : Regex.Replace(tunC[select.Start..select.End], @"\btun_select_queue\(", "tun_stock_select_queue(") + "\n";
        var state = policy == Policy.Hash ? TemplateRenderer.HashState() : TemplateRenderer.Core(policy);
        var code = (profile.UsesAccessOnce ? TemplateRenderer.OnceCompat() : "") +
            TemplateRenderer.SteerableQueues() + "\n" +
            state + "\n" +
            (policy == Policy.Adaptive ? TemplateRenderer.AdaptiveGlue(profile, PtrRing().IsMatch(tunC)) + "\n" : "") +
            TemplateRenderer.BalancerGlue(profile, policy, tunables) + "\n" +
            stock +
            TemplateRenderer.SelectQueue(profile);
        return new Edit(select.Start, select.End, code);
    }

    private static Edit IncludeEdit(string tunC, Policy policy)
    {
        var include = LastLinuxInclude().Matches(tunC).LastOrDefault()
            ?? throw new UnsupportedTunSourceException("not found in the input: an #include <linux/...> line");
        var includeEnd = CSource.LineEnd(tunC, include.Index);
        var includes = "#include <linux/debugfs.h>\n#include <linux/seq_file.h>\n" +
            (policy.Remaps() ? "#include <linux/sort.h>\n" : "");
        return new Edit(includeEnd, includeEnd, includes);
    }

    private static Edit StructEdit(string tunC)
    {
        var tunStruct = CSource.FindStructBody(tunC, "tun_struct")
            ?? throw new UnsupportedTunSourceException("not found in the input: the definition of struct tun_struct");
        // beside steering_prog, which every transmit reads already
        var body = tunC[tunStruct.Open..tunStruct.Close];
        var steering = body.IndexOf("steering_prog;", StringComparison.Ordinal);
        var at = steering < 0 ? CSource.LineStart(tunC, tunStruct.Close) : CSource.LineEnd(tunC, tunStruct.Open + steering);
        return new Edit(at, at, "\tstruct tun_balance __rcu *balance;\n");
    }

    /// <summary>tun_flow_update() learns nothing while the device balances (unless RFS reads it).</summary>
    private static IEnumerable<Edit> LearningEdits(string tunC, KernelApiProfile profile)
    {
        var update = Require(tunC, "tun_flow_update");
        var before = StartWithLeadingComment(tunC, update.Start);
        yield return new Edit(before, before, TemplateRenderer.BalanceLearning(profile));
        var at = AfterDeclarations(tunC, update);
        yield return new Edit(at, at, "\tif (tun_balance_skips_learning(tun))\n\t\treturn;\n\n");
    }

    /// <summary>The device's balancer lives and dies with its flow table; the sysfs switch where tun has attributes.</summary>
    private static IEnumerable<Edit> LifecycleEdits(string tunC, KernelApiProfile profile)
    {
        var init = Require(tunC, "tun_flow_init");
        var initAt = InsertionBeforeReturn(tunC, init);
        yield return new Edit(initAt, initAt, "\ttun_balance_setup(tun);\n");

        var uninit = Require(tunC, "tun_flow_uninit");
        var stopTimer = tunC.IndexOf(profile.TimerDeleteSync + "(", uninit.BodyOpen, uninit.BodyClose - uninit.BodyOpen, StringComparison.Ordinal);
        var uninitAt = CSource.LineStart(tunC, stopTimer);
        yield return new Edit(uninitAt, uninitAt, "\ttun_balance_destroy(tun);\n");

        if (profile.HasDeviceAttributes)
        {
            var attributes = tunC.IndexOf(ApiDetector.DeviceAttributesArray, StringComparison.Ordinal);
            yield return new Edit(attributes, attributes, TemplateRenderer.BalanceAttribute(profile));
            var terminator = tunC.IndexOf("\tNULL", attributes, StringComparison.Ordinal);
            yield return new Edit(terminator, terminator, "\t&dev_attr_balance.attr,\n");
        }
    }

    /// <summary>The statistics file comes with the module, once it has loaded, and goes first.</summary>
    private static IEnumerable<Edit> ModuleEdits(string tunC)
    {
        var init = Require(tunC, "tun_init");
        var success = SuccessReturn().Match(tunC[init.BodyOpen..init.BodyClose]);
        if (!success.Success)
            throw new UnsupportedTunSourceException("not found in the input: tun_init()'s \"return 0;\" on success");
        var initAt = init.BodyOpen + success.Index;
        yield return new Edit(initAt, initAt, "\ttun_balance_debugfs_init();\n");

        var cleanup = Require(tunC, "tun_cleanup");
        var cleanupAt = CSource.LineEnd(tunC, cleanup.BodyOpen);
        yield return new Edit(cleanupAt, cleanupAt, "\ttun_balance_debugfs_exit();\n");
    }

    /// <summary>
    /// __tun_detach() moves the last queue into the gap, lowers numqueues and waits for the
    /// packet paths; then, beside stock's own flow cleanup, the balancer re-places the flows
    /// of both indexes.
    /// </summary>
    private static Edit DetachEdit(string tunC)
    {
        const string cleanup = "tun_flow_delete_by_queue(tun, tun->numqueues + 1);";
        var detach = Require(tunC, "__tun_detach");
        var at = tunC.IndexOf(cleanup, detach.BodyOpen, detach.BodyClose - detach.BodyOpen, StringComparison.Ordinal);
        if (at < 0)
            throw new UnsupportedTunSourceException($"not found in the input: \"{cleanup}\" in __tun_detach()");
        var lineStart = CSource.LineStart(tunC, at);
        var indent = tunC[lineStart..at];
        return new Edit(lineStart, lineStart, $"{indent}tun_balance_queue_moved(tun, index, tun->numqueues);\n");
    }

    /// <summary>After tun_xdp_xmit() has its queue (and re-picked it if that file was gone).</summary>
    private static Edit XdpEdit(string tunC)
    {
        var xmit = CSource.FindFunction(tunC, "tun_xdp_xmit")!;
        var choice = tunC.IndexOf(ApiDetector.XdpQueueChoice, xmit.BodyOpen, StringComparison.Ordinal);
        var at = CSource.LineEnd(tunC, tunC.IndexOf(';', choice));
        if (tunC[at..].TrimStart('\t').StartsWith("if (unlikely(!tfile))", StringComparison.Ordinal))
            at = CSource.LineEnd(tunC, CSource.LineEnd(tunC, at));
        // the file's own index: the choice above divides, once is enough
        return new Edit(at, at, "\ttun_balance_count_xdp(tun, READ_ONCE(tfile->queue_index), n);\n");
    }

    /// <summary>tun_net_xmit() queues through tun_balance_produce(), which drops a paused flow's packets.</summary>
    private static Edit ProduceEdit(string tunC)
    {
        const string produce = "ptr_ring_produce(&tfile->tx_ring, skb)";
        var xmit = Require(tunC, "tun_net_xmit");
        var at = tunC.IndexOf(produce, xmit.BodyOpen, xmit.BodyClose - xmit.BodyOpen, StringComparison.Ordinal);
        if (at < 0)
            throw new UnsupportedTunSourceException($"not found in the input: \"{produce}\" in tun_net_xmit()");
        return new Edit(at, at + produce.Length, "tun_balance_produce(tun, tfile, skb)");
    }

    private static CFunction Require(string tunC, string name) =>
        CSource.FindFunction(tunC, name)
        ?? throw new UnsupportedTunSourceException($"not found in the input: the definition of {name}()");

    /// <summary>After the body's leading declarations: its first blank line, else its first line.</summary>
    private static int AfterDeclarations(string text, CFunction function)
    {
        var blank = text.IndexOf("\n\n", function.BodyOpen, function.BodyClose - function.BodyOpen, StringComparison.Ordinal);
        return blank < 0 ? CSource.LineEnd(text, function.BodyOpen) : blank + 2;
    }

    /// <summary>Before a trailing "return ...;" of the body, else before its closing brace.</summary>
    private static int InsertionBeforeReturn(string text, CFunction function)
    {
        var closeLine = CSource.LineStart(text, function.BodyClose);
        var lastStatement = text[function.BodyOpen..closeLine].TrimEnd();
        var lastLineStart = CSource.LineStart(text, function.BodyOpen + lastStatement.Length - 1);
        return text[lastLineStart..closeLine].TrimStart().StartsWith("return", StringComparison.Ordinal)
            ? lastLineStart
            : closeLine;
    }

    /// <summary>Includes a block comment that ends on the line just above the function.</summary>
    private static int StartWithLeadingComment(string text, int functionStart)
    {
        var before = text[..functionStart];
        if (!before.EndsWith("*/\n", StringComparison.Ordinal))
            return functionStart;
        var open = before.LastIndexOf("/*", StringComparison.Ordinal);
        return open < 0 ? functionStart : CSource.LineStart(text, open);
    }

    private static int BlankLineAfter(string text, int index) =>
        index < text.Length && text[index] == '\n' ? 1 : 0;

    private static string ApplyEdits(string text, List<Edit> edits)
    {
        foreach (var edit in edits.OrderByDescending(e => e.Start))
            text = text[..edit.Start] + edit.Replacement + text[edit.End..];
        return text;
    }

    private sealed record Edit(int Start, int End, string Replacement);

    [GeneratedRegex(@"^#include <linux/[^>]+>", RegexOptions.Multiline)]
    private static partial Regex LastLinuxInclude();

    [GeneratedRegex(@"^\treturn\s+0;", RegexOptions.Multiline)]
    private static partial Regex SuccessReturn();

    /// <summary>tun queues to a ptr_ring (Linux 4.16+), not to the socket's receive queue.</summary>
    [GeneratedRegex(@"struct ptr_ring\s+tx_ring;")]
    private static partial Regex PtrRing();
}
