namespace KmodBalance.Generator.Source;

/// <summary>
/// The brackets of a C text, each '(' '[' '{' paired with its closer in one pass that skips
/// comments and string and character literals. Each kind is paired on its own (a ')' only
/// closes a '('), as a reader counting one kind would. It also records what makes the text
/// incomplete: an opener never closed, a closer with no opener, a comment never ended.
/// </summary>
public sealed class CBrackets
{
    private readonly Dictionary<int, int> _closeOf = [];

    /// <summary>Openers never closed, in text order.</summary>
    public IReadOnlyList<int> Unclosed { get; }

    /// <summary>Closers with no opener, in text order.</summary>
    public IReadOnlyList<int> Unopened { get; }

    /// <summary>Start of a block comment that never ends, or -1.</summary>
    public int UnterminatedComment { get; }

    /// <summary>The last character of code (not whitespace, comment or literal), or -1.</summary>
    public int LastCode { get; }

    private CBrackets(string text)
    {
        var open = new Dictionary<char, Stack<int>> { ['('] = new(), ['['] = new(), ['{'] = new() };
        var unopened = new List<int>();
        UnterminatedComment = -1;
        LastCode = -1;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '/' && i + 1 < text.Length && text[i + 1] == '*')
            {
                var end = text.IndexOf("*/", i + 2, StringComparison.Ordinal);
                if (end < 0)
                {
                    UnterminatedComment = i;
                    break;
                }
                i = end + 1;
                continue;
            }
            if (c == '/' && i + 1 < text.Length && text[i + 1] == '/')
            {
                i = EndOfLine(text, i) - 1;
                continue;
            }
            if (char.IsWhiteSpace(c))
                continue;
            LastCode = i;
            if (c is '"' or '\'')
            {
                i = EndOfLiteral(text, i);
                LastCode = Math.Min(i, text.Length - 1);
                continue;
            }
            if (c is '(' or '[' or '{')
                open[c].Push(i);
            else if (c is ')' or ']' or '}')
            {
                var pending = open[Opener(c)];
                if (pending.Count == 0)
                    unopened.Add(i);
                else
                    _closeOf[pending.Pop()] = i;
            }
        }
        Unclosed = [.. open.Values.SelectMany(s => s).Order()];
        Unopened = unopened;
    }

    public static CBrackets Match(string text) => new(text);

    /// <summary>Index of the bracket closing the opener at <paramref name="open"/>; -1 if it is never
    /// closed or is not an opener in code.</summary>
    public int CloseOf(int open) => _closeOf.GetValueOrDefault(open, -1);

    private static char Opener(char closer) => closer switch { ')' => '(', ']' => '[', _ => '{' };

    private static int EndOfLine(string text, int i)
    {
        var nl = text.IndexOf('\n', i);
        return nl < 0 ? text.Length : nl;
    }

    /// <summary>Index of the quote closing the literal at <paramref name="i"/>. A literal cannot span a
    /// line (short of a backslash-newline), so an unclosed one ends at its line's end, as in the C lexer:
    /// a stray quote in an #error line never swallows the rest of the file.</summary>
    private static int EndOfLiteral(string text, int i)
    {
        var quote = text[i];
        var j = i + 1;
        while (j < text.Length && text[j] != quote && text[j] != '\n')
            j += text[j] == '\\' ? 2 : 1;
        return Math.Min(j, text.Length);
    }
}
