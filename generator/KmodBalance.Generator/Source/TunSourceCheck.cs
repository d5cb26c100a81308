namespace KmodBalance.Generator.Source;

/// <summary>
/// The input rule: the generator patches only a whole, unpatched tun.c. A truncated file
/// (a short read, `head -n`) would otherwise be patched into a tun.c with no end, and
/// kmb's own output fed back would fail detection with a confusing message.
/// </summary>
public static class TunSourceCheck
{
    /// <summary>Identifier prefix of everything the generator adds (templates: tun_balance_select_queue, ...).</summary>
    public const string GeneratedPrefix = "tun_balance_";

    /// <summary>Lines a kernel's tun.c ends with, once it registers its init function.</summary>
    private static readonly string[] ClosingMacros = ["module_exit(", "MODULE_LICENSE("];

    /// <exception cref="KmbException">Exit 2: what is wrong, where, and what to give instead.</exception>
    public static void Validate(TunSource source)
    {
        var text = source.Text;
        if (text.Contains(GeneratedPrefix, StringComparison.Ordinal))
            throw new KmbException($"{source.Origin} is already patched by kmb (it defines {GeneratedPrefix}* functions): " +
                "give the kernel's own drivers/net/tun.c, not a generated one");
        if (Incompleteness(text) is { } problem)
            throw new KmbException($"{source.Origin} is not a complete tun.c: {problem}; was it cut short? " +
                "give the whole drivers/net/tun.c of a kernel tree");
    }

    /// <summary>Why <paramref name="text"/> cannot be a whole C file, or null.</summary>
    public static string? Incompleteness(string text)
    {
        var brackets = CBrackets.Match(text);
        if (brackets.UnterminatedComment >= 0)
            return $"the comment opened at line {CSource.LineOf(text, brackets.UnterminatedComment)} never ends";
        if (brackets.Unopened.Count > 0)
        {
            var at = brackets.Unopened[0];
            return $"'{text[at]}' at line {CSource.LineOf(text, at)} closes nothing";
        }
        if (brackets.Unclosed.Count > 0)
        {
            var at = brackets.Unclosed[^1];
            return $"'{text[at]}' at line {CSource.LineOf(text, at)} is never closed ({brackets.Unclosed.Count} brackets open at the end)";
        }
        if (brackets.LastCode < 0)
            return "it holds no code";
        var lastLine = text[CSource.LineStart(text, brackets.LastCode)..CSource.LineEnd(text, brackets.LastCode)].TrimStart();
        if (!lastLine.StartsWith('#') && text[brackets.LastCode] is not (';' or '}'))
            return $"its last line ({CSource.LineOf(text, brackets.LastCode)}) ends in the middle of a declaration";
        var init = text.IndexOf("module_init(", StringComparison.Ordinal);
        if (init < 0)
            return "it has no module_init() (tun.c ends with module_init, module_exit and MODULE_LICENSE)";
        if (ClosingMacros.FirstOrDefault(m => text.IndexOf(m, init, StringComparison.Ordinal) < 0) is { } missing)
            return $"module_init() is not followed by {missing}...)";
        return null;
    }
}
