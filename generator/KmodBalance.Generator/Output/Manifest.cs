using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace KmodBalance.Generator.Output;

public sealed record ManifestInput(string Origin, string Sha256);

public sealed record ManifestTunables(long ThresholdPackets, long PeriodMs);

/// <summary>manifest.json: what was generated from what, so a build can be traced to its input.</summary>
public sealed record Manifest(
    string Tool,
    string ToolVersion,
    DateTimeOffset GeneratedAt,
    ManifestInput Input,
    string KernelApiProfile,
    string Policy,
    ManifestTunables? Tunables,
    string? Patch,
    string VnetHeader,
    IReadOnlyList<string> Files)
{
    public const string FileName = "manifest.json";

    private static readonly JsonSerializerOptions Options = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    public static string ToolVersionString => typeof(Manifest).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";

    public static string Sha256Of(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    public string ToJson() => JsonSerializer.Serialize(this, Options) + "\n";

    public static Manifest Read(string moduleDir)
    {
        var path = Path.Combine(moduleDir, FileName);
        if (!File.Exists(path))
            throw new KmbException($"{moduleDir} has no {FileName}: give a directory written by `kmb generate`");
        return JsonSerializer.Deserialize<Manifest>(File.ReadAllText(path), Options)
            ?? throw new KmbException($"{path} is empty or not a manifest");
    }
}
