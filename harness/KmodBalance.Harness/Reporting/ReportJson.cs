using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace KmodBalance.Harness.Reporting;

/// <summary>
/// The one convention of every verb's report.json: camelCase, indented, enums by name, and a NaN
/// (a broken measurement, a ratio over a zero mean) written as "NaN" instead of failing the whole
/// report. A verb's source-generated context lists only its report type; <see cref="For{T}"/> binds
/// it to these options, so the convention is stated once.
/// </summary>
public static class ReportJson
{
    /// <param name="context">Makes the verb's context with the options it is given.</param>
    /// <exception cref="ArgumentException">The context does not serialize <typeparamref name="T"/>.</exception>
    public static ReportJson<T> For<T>(Func<JsonSerializerOptions, JsonSerializerContext> context) where T : class
    {
        var made = context(NewOptions());
        return new ReportJson<T>(made.GetTypeInfo(typeof(T)) as JsonTypeInfo<T>
            ?? throw new ArgumentException($"{made.GetType().Name} does not serialize {typeof(T).Name}", nameof(context)));
    }

    /// <summary>A new instance for every context: a context binds the options it is made with.</summary>
    private static JsonSerializerOptions NewOptions() => new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = true,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Converters = { new JsonStringEnumConverter() },
    };
}

/// <summary>One verb's report.json, read and written in the <see cref="ReportJson"/> convention.</summary>
public sealed class ReportJson<T>(JsonTypeInfo<T> type) where T : class
{
    public string Serialize(T report)
    {
        ArgumentNullException.ThrowIfNull(report);
        return JsonSerializer.Serialize(report, type);
    }

    /// <exception cref="JsonException">Not a report.json of <typeparamref name="T"/>.</exception>
    public T Deserialize(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        return JsonSerializer.Deserialize(json, type) ?? throw new JsonException("report.json contains null");
    }
}
