using System.Globalization;
using System.Text;
using System.Xml;
using System.Xml.Linq;

namespace KmodBalance.Harness.Reporting;

/// <summary>What every verb's junit.xml is built from, in the shape Jenkins (junit plugin) and GitLab
/// read: text XML 1.0 can carry, the counts and time a testsuite(s) element carries, testcases,
/// failures and errors, properties, and an indented UTF-8 document with its declaration.</summary>
public static class JunitXml
{
    /// <summary>Drops the characters XML 1.0 cannot represent at all (console excerpts carry control characters).</summary>
    public static string Safe(string text) =>
        string.Concat(text.Where(c => XmlConvert.IsXmlChar(c) || char.IsSurrogate(c)));

    public static string Seconds(double seconds) => seconds.ToString("0.000", CultureInfo.InvariantCulture);

    /// <summary>The attributes that open every testsuites and testsuite element, in the order CI readers show them.</summary>
    public static IEnumerable<XAttribute> Tally(string name, int tests, int failures, int errors) =>
        [new("name", name), new("tests", tests), new("failures", failures), new("errors", errors)];

    public static XAttribute Time(double seconds) => new("time", Seconds(seconds));

    /// <param name="seconds">Null for a testcase that took no measurable time of its own.</param>
    public static XElement TestCase(string className, string name, double? seconds, params object?[] content) =>
        new("testcase",
            new XAttribute("classname", className),
            new XAttribute("name", Safe(name)),
            seconds is { } s ? Time(s) : null,
            content);

    /// <summary>A "failure" (the verdict failed) or "error" (it could not be reached) element.</summary>
    /// <param name="type">Null where the verb names no type.</param>
    /// <param name="details">The element's text; null for none.</param>
    public static XElement Problem(string element, string message, string? type, string? details) =>
        new(element,
            new XAttribute("message", Safe(message)),
            type is null ? null : new XAttribute("type", type),
            details is null ? null : Safe(details));

    public static XElement Property(string name, string value) =>
        new("property", new XAttribute("name", Safe(name)), new XAttribute("value", Safe(value)));

    public static XElement SystemOut(string text) => new("system-out", Safe(text));

    public static string Render(XElement root)
    {
        var sb = new StringBuilder();
        using (var writer = XmlWriter.Create(new Utf8StringWriter(sb), new XmlWriterSettings { Indent = true }))
            new XDocument(new XDeclaration("1.0", "utf-8", null), root).Save(writer);
        return sb.ToString();
    }

    private sealed class Utf8StringWriter(StringBuilder sb) : StringWriter(sb, CultureInfo.InvariantCulture)
    {
        public override Encoding Encoding => new UTF8Encoding(false);
    }
}
