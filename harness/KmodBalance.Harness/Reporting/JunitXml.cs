using System.Globalization;
using System.Text;
using System.Xml;
using System.Xml.Linq;

namespace KmodBalance.Harness.Reporting;

/// <summary>What every junit.xml writer (lab run, compare, check) needs: text XML 1.0 can carry, and
/// an indented UTF-8 document with its declaration.</summary>
public static class JunitXml
{
    /// <summary>Drops the characters XML 1.0 cannot represent at all (console excerpts carry control characters).</summary>
    public static string Safe(string text) =>
        string.Concat(text.Where(c => XmlConvert.IsXmlChar(c) || char.IsSurrogate(c)));

    public static string Seconds(double seconds) => seconds.ToString("0.000", CultureInfo.InvariantCulture);

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
