using System.Text.Json;
using System.Text.Json.Serialization;

namespace KmodBalance.Harness.Reporting;

/// <summary>report.json: camelCase, indented, source-generated.</summary>
public static class ReportJson
{
    public static string Serialize(LabReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        return JsonSerializer.Serialize(report, ReportJsonContext.Default.LabReport);
    }

    /// <exception cref="JsonException">Not a report.json.</exception>
    public static LabReport Deserialize(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        return JsonSerializer.Deserialize(json, ReportJsonContext.Default.LabReport)
            ?? throw new JsonException("report.json contains null");
    }

    public static LabReport Read(string path) => Deserialize(File.ReadAllText(path));
}

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    WriteIndented = true,
    // Keeps a NaN from a broken measurement writable instead of failing the whole report.
    NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals)]
[JsonSerializable(typeof(LabReport))]
internal sealed partial class ReportJsonContext : JsonSerializerContext;
