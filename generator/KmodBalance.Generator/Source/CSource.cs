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
/// Just enough C structure to patch tun.c: function definitions, a struct's
/// braces, and bracket matching that skips comments and literals.
/// </summary>
public static class CSource
{
    /// <summary>The definition (not a prototype) of a file-scope function, or null.</summary>
    public static CFunction? FindFunction(string text, string name)
    {
        var head = new Regex($@"^[A-Za-z_][^\n;{{}}()]*\b{Regex.Escape(name)}\s*\(", RegexOptions.Multiline);
        for (var m = head.Match(text); m.Success; m = m.NextMatch())
        {
            var close = MatchBracket(text, m.Index + m.Length - 1, '(', ')');
            if (close < 0)
                continue;
            var next = SkipSpace(text, close + 1);
            if (next >= text.Length || text[next] != '{')
                continue; // a prototype or a call
            var bodyClose = MatchBracket(text, next, '{', '}');
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
        var close = MatchBracket(text, open, '{', '}');
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

    /// <summary>Index of the bracket closing the one at <paramref name="open"/>; -1 if unbalanced.</summary>
    public static int MatchBracket(string text, int open, char opening, char closing)
    {
        var depth = 0;
        for (var i = open; i < text.Length; i++)
        {
            i = SkipCommentOrLiteral(text, i);
            if (i >= text.Length)
                break;
            if (text[i] == opening)
                depth++;
            else if (text[i] == closing && --depth == 0)
                return i;
        }
        return -1;
    }

    private static int SkipSpace(string text, int i)
    {
        while (i < text.Length && char.IsWhiteSpace(text[i]))
            i++;
        return i;
    }

    /// <summary>If a comment or literal starts at i, the index of its last character; else i.</summary>
    private static int SkipCommentOrLiteral(string text, int i)
    {
        if (text[i] == '/' && i + 1 < text.Length && text[i + 1] == '*')
        {
            var end = text.IndexOf("*/", i + 2, StringComparison.Ordinal);
            return end < 0 ? text.Length : end + 1;
        }
        if (text[i] == '/' && i + 1 < text.Length && text[i + 1] == '/')
        {
            var end = text.IndexOf('\n', i);
            return end < 0 ? text.Length : end;
        }
        if (text[i] is '"' or '\'')
        {
            var quote = text[i];
            var j = i + 1;
            while (j < text.Length && text[j] != quote)
                j += text[j] == '\\' ? 2 : 1;
            return Math.Min(j, text.Length);
        }
        return i;
    }
}
