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
    public const string ToolName = "KmodBalance";

    private static readonly JsonSerializerOptions Options = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    public static string ToolVersionString => typeof(Manifest).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";

    public static string Sha256Of(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    public string ToJson() => JsonSerializer.Serialize(this, Options) + "\n";

    /// <summary>The manifest of a directory written by `kmb generate`.</summary>
    /// <exception cref="KmbException">Exit 2: no manifest, or one kmb did not write (not JSON, fields missing).</exception>
    public static Manifest Read(string moduleDir)
    {
        var path = Path.Combine(moduleDir, FileName);
        if (!File.Exists(path))
            throw new KmbException($"{moduleDir} has no {FileName}: give a directory written by `kmb generate`");
        return TryRead(path, out var problem) ?? throw new KmbException(
            $"{path} is not a manifest written by `kmb generate` ({problem}): generate the directory again");
    }

    /// <summary>The manifest at <paramref name="path"/>, or null with the reason it is not one kmb wrote.</summary>
    public static Manifest? TryRead(string path, out string problem)
    {
        Manifest? manifest;
        try
        {
            manifest = JsonSerializer.Deserialize<Manifest>(File.ReadAllText(path), Options);
        }
        catch (JsonException e)
        {
            problem = $"not valid JSON: {e.Message}";
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            problem = $"unreadable: {e.Message}";
            return null;
        }
        // The deserializer leaves absent members null whatever their declared type: check what readers rely on.
        problem = manifest switch
        {
            null => "empty",
            { Tool: not ToolName } => $"its tool is '{manifest.Tool}', not {ToolName}",
            { Policy: null } or { Files: null } or { VnetHeader: null } or { Input: null } => "policy, files, vnetHeader or input is missing",
            _ => "",
        };
        return problem.Length == 0 ? manifest : null;
    }
}
