using System.Text.RegularExpressions;

namespace KmodBalance.Generator.Source;

/// <summary>A function definition found in C text: offsets into that text.</summary>
/// <param name="Start">Start of the line holding the definition's first token.</param>
/// <param name="SignatureEnd">Just past the ')' that closes the parameter list.</param>
/// <param name="BodyOpen">The body's '{'.</param>
/// <param name="BodyClose">The body's '}'.</param>
/// <param name="End">Just past the line holding the closing '}'.</param>
public sealed record CFunction(string Name, int Start, int SignatureEnd, int BodyOpen, int BodyClose, int End)
{
    public string Signature(string text) => text[Start..SignatureEnd];
    public string Body(string text) => text[(BodyOpen + 1)..BodyClose];
}

/// <summary>
/// Just enough C structure to patch tun.c: function definitions and a struct's braces,
/// found through one pass that matches every bracket outside comments and literals.
/// Every lookup is linear in the text: a definition head whose '(' never closes costs
/// one dictionary lookup, not a scan to the end of the file.
/// </summary>
public static class CSource
{
    /// <summary>The definition (not a prototype) of a file-scope function, or null.</summary>
    public static CFunction? FindFunction(string text, string name)
    {
        var head = new Regex($@"^[A-Za-z_][^\n;{{}}()]*\b{Regex.Escape(name)}\s*\(", RegexOptions.Multiline);
        CBrackets? brackets = null;
        for (var m = head.Match(text); m.Success; m = m.NextMatch())
        {
            brackets ??= CBrackets.Match(text);
            var close = brackets.CloseOf(m.Index + m.Length - 1);
            if (close < 0)
                continue;
            var next = SkipSpace(text, close + 1);
            if (next >= text.Length || text[next] != '{')
                continue; // a prototype or a call
            var bodyClose = brackets.CloseOf(next);
            if (bodyClose < 0)
                return null;
            return new CFunction(name, m.Index, close + 1, next, bodyClose, LineEnd(text, bodyClose));
        }
        return null;
    }

    /// <summary>The '{' and the matching '}' of "struct NAME {", or null.</summary>
    public static (int Open, int Close)? FindStructBody(string text, string name)
    {
        var m = new Regex($@"^struct\s+{Regex.Escape(name)}\s*\{{", RegexOptions.Multiline).Match(text);
        if (!m.Success)
            return null;
        var open = m.Index + m.Length - 1;
        var close = CBrackets.Match(text).CloseOf(open);
        return close < 0 ? null : (open, close);
    }

    /// <summary>Start of the line that holds <paramref name="index"/>.</summary>
    public static int LineStart(string text, int index) => text.LastIndexOf('\n', Math.Max(index - 1, 0)) + 1;

    /// <summary>Just past the newline ending the line that holds <paramref name="index"/>.</summary>
    public static int LineEnd(string text, int index)
    {
        var nl = text.IndexOf('\n', index);
        return nl < 0 ? text.Length : nl + 1;
    }

    /// <summary>1-based line number of <paramref name="index"/>, for messages.</summary>
    public static int LineOf(string text, int index) => text.AsSpan(0, Math.Min(index, text.Length)).Count('\n') + 1;

    private static int SkipSpace(string text, int i)
    {
        while (i < text.Length && char.IsWhiteSpace(text[i]))
            i++;
        return i;
    }
}
