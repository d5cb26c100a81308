using System.Text.Json;
using System.Text.Json.Serialization;
using KmodBalance.Generator.Build;

namespace KmodBalance.Generator.Kernels;

public sealed record KernelRecordPackage(string Name, string Version, long Bytes);

/// <summary>
/// kernel.json in STATE/kernels/GEN/: what was fetched (package versions), where it lies
/// unpacked, and which compiler builds modules for it. Written last, so its presence with
/// every path in place means the generation is fetched.
/// </summary>
/// <param name="Compiler">The compiler package the kernel was built with (gcc-10 for 5.10).</param>
/// <param name="CompilerCommand">What kbuild runs as CC: gcc-N from PATH, or the privately unpacked one.</param>
/// <param name="CompilerFetched">True when gcc-N was not on this machine and was fetched into toolchain/.</param>
/// <param name="KernelCompiler">The headers' CONFIG_CC_VERSION_TEXT.</param>
/// <param name="SourceTree">A partial tree with drivers/net/tun.c (and tun_vnet.h) and scripts/checkpatch.pl from the tarball.</param>
public sealed record KernelRecord(
    int Format,
    string Generation,
    string Distribution,
    string Release,
    IReadOnlyList<KernelRecordPackage> Packages,
    string Compiler,
    string CompilerCommand,
    bool CompilerFetched,
    string CompilerVersion,
    string? KernelCompiler,
    string Vmlinuz,
    string ModulesDir,
    string HeadersDir,
    string SourceTarball,
    string SourceTree,
    long DiskBytes,
    double FetchSeconds,
    DateTimeOffset FetchedAt)
{
    public const int CurrentFormat = 1;
    public const string FileName = "kernel.json";

    private static readonly JsonSerializerOptions Options = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    /// <summary>The package version of the kernel image (e.g. 5.10.262-1).</summary>
    public string ImageVersion => Packages.FirstOrDefault(p => p.Name == "linux-image-" + Release)?.Version ?? "?";

    public string TunC => Path.Combine(SourceTree, "drivers", "net", "tun.c");
    public string Checkpatch => Path.Combine(SourceTree, "scripts", "checkpatch.pl");

    /// <summary>Paths that must exist for the record to be usable.</summary>
    public IReadOnlyList<string> RequiredPaths =>
        [Vmlinuz, ModulesDir, Path.Combine(HeadersDir, "Makefile"), SourceTarball, TunC, Checkpatch,
            .. CompilerFetched ? new[] { CompilerCommand } : []];

    /// <summary>
    /// This kernel in the shape the lab takes for the installed one (vmlinuz, modules; its
    /// HeadersDir, modules/build, is re-pointed at the unpacked headers; tun.c is read from its own
    /// source tree), so the lab can build for it and boot it.
    /// </summary>
    public InstalledKernel AsKernel() => new(Release, Vmlinuz, ModulesDir) { SourceTree = SourceTree };

    public string ToJson() => JsonSerializer.Serialize(this, Options) + "\n";

    /// <summary>Null when the text is not a record (torn or foreign file).</summary>
    public static KernelRecord? FromJson(string json)
    {
        try
        {
            return JsonSerializer.Deserialize<KernelRecord>(json, Options);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
