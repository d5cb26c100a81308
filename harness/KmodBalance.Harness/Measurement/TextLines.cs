namespace KmodBalance.Harness.Measurement;

/// <summary>Line and token splitting shared by the parsers (captured output may have CRLF endings).</summary>
internal static class TextLines
{
    public static string[] Split(string text) => text.Replace("\r", "", StringComparison.Ordinal).Split('\n');

    public static string[] Tokens(string line) => line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);

    /// <summary>The first few hundred characters of <paramref name="text"/>, for exception messages.</summary>
    public static string Excerpt(string text, int max = 300)
    {
        var trimmed = text.Trim();
        if (trimmed.Length == 0)
            return "<empty>";
        return trimmed.Length <= max ? $"'{trimmed}'" : $"'{trimmed[..max]}...'";
    }
}
