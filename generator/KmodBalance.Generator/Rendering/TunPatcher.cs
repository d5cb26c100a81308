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

        var select = CSource.FindFunction(tunC, "tun_select_queue")!;
        var edits = new List<Edit>();

        var policyFunction = policy == Policy.Hash ? "tun_hash_select_queue" : "tun_balance_select_queue";
        var selectionCode = (profile.UsesAccessOnce ? TemplateRenderer.OnceCompat() : "") +
            TemplateRenderer.SteerableQueues() + "\n" +
            (policy == Policy.Hash
                ? TemplateRenderer.HashSelect(profile)
                : TemplateRenderer.BalancerCore() + "\n" + TemplateRenderer.BalancerGlue(profile, tunables));
        edits.Add(new Edit(select.Start, select.End,
            selectionCode + "\n" + TemplateRenderer.SelectQueue(profile, policyFunction)));

        if (AutomqIsOnlyUsedForSelection(tunC))
        {
            var automq = CSource.FindFunction(tunC, "tun_automq_select_queue")!;
            edits.Add(new Edit(StartWithLeadingComment(tunC, automq.Start), automq.End + BlankLineAfter(tunC, automq.End), ""));
        }

        if (policy == Policy.Dynamic)
            edits.AddRange(DynamicLifecycleEdits(tunC, profile));

        return ApplyEdits(tunC, edits);
    }

    private static IEnumerable<Edit> DynamicLifecycleEdits(string tunC, KernelApiProfile profile)
    {
        var include = LastLinuxInclude().Matches(tunC).LastOrDefault()
            ?? throw new UnsupportedTunSourceException("not found in the input: an #include <linux/...> line");
        var includeEnd = CSource.LineEnd(tunC, include.Index);
        yield return new Edit(includeEnd, includeEnd, "#include <linux/sort.h>\n");

        var tunStruct = CSource.FindStructBody(tunC, "tun_struct")
            ?? throw new UnsupportedTunSourceException("not found in the input: the definition of struct tun_struct");
        var structEnd = CSource.LineStart(tunC, tunStruct.Close);
        yield return new Edit(structEnd, structEnd, "\tstruct tun_balance *balance;\n");

        var init = CSource.FindFunction(tunC, "tun_flow_init")!;
        var initAt = InsertionBeforeReturn(tunC, init);
        yield return new Edit(initAt, initAt, "\ttun_balance_start(tun);\n");

        if (profile.HasDeviceAttributes)
        {
            var attributes = tunC.IndexOf(ApiDetector.DeviceAttributesArray, StringComparison.Ordinal);
            yield return new Edit(attributes, attributes, TemplateRenderer.BalancerStats(profile));
            var terminator = tunC.IndexOf("\tNULL", attributes, StringComparison.Ordinal);
            yield return new Edit(terminator, terminator, "\t&dev_attr_balance_stats.attr,\n");
        }

        var uninit = CSource.FindFunction(tunC, "tun_flow_uninit")!;
        var stopTimer = tunC.IndexOf(profile.TimerDeleteSync + "(", uninit.BodyOpen, uninit.BodyClose - uninit.BodyOpen, StringComparison.Ordinal);
        var uninitAt = CSource.LineStart(tunC, stopTimer);
        yield return new Edit(uninitAt, uninitAt, "\ttun_balance_stop(tun);\n");
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

    /// <summary>automq can go when tun_select_queue is its only caller; else it must stay.</summary>
    private static bool AutomqIsOnlyUsedForSelection(string tunC) =>
        CSource.FindFunction(tunC, "tun_automq_select_queue") is not null &&
        Regex.Matches(tunC, @"\btun_automq_select_queue\s*\(").Count == 2;

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
}
