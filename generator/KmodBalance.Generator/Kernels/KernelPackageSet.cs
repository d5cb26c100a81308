using System.Text.RegularExpressions;

namespace KmodBalance.Generator.Kernels;

/// <summary>
/// The packages of one generation's current cloud kernel, found by following Debian's own
/// metapackages (never a hard-coded ABI number): linux-image-cloud-amd64 names the image,
/// linux-headers-cloud-amd64 the headers, whose Depends name the -common headers, the
/// linux-kbuild package (modpost, fixdep, ...) and the compiler the kernel was built with.
/// </summary>
/// <param name="Release">The kernel release, e.g. 5.10.0-46-cloud-amd64 (`uname -r`).</param>
/// <param name="Compiler">The compiler package of the kernel's build, e.g. gcc-10.</param>
public sealed partial record KernelPackageSet(
    string Release,
    AptPackage Image,
    AptPackage Headers,
    AptPackage HeadersCommon,
    AptPackage Kbuild,
    AptPackage Source,
    string Compiler)
{
    public const string ImageMeta = "linux-image-cloud-amd64";
    public const string HeadersMeta = "linux-headers-cloud-amd64";

    public IReadOnlyList<AptPackage> All => [Image, Headers, HeadersCommon, Kbuild, Source];

    /// <summary>The compiler packages to fetch when <paramref name="compiler"/> (gcc-N) is not on this machine.</summary>
    public static IReadOnlyList<string> ToolchainPackages(string compiler)
    {
        var n = CompilerMajor(compiler);
        return [$"gcc-{n}", $"cpp-{n}", $"gcc-{n}-base", $"libgcc-{n}-dev"];
    }

    public static int CompilerMajor(string compiler) =>
        GccPackage().Match(compiler) is { Success: true } m
            ? int.Parse(m.Groups[1].Value)
            : throw new KmbException($"'{compiler}' is not a gcc-N compiler package", 1);

    /// <summary>Resolves the set through <paramref name="show"/> (apt-cache show of the candidate).</summary>
    public static async Task<KernelPackageSet> ResolveAsync(KernelGeneration generation, Func<string, Task<AptStanza?>> show)
    {
        async Task<AptStanza> Show(string package, string why) =>
            await show(package) ?? throw new KmbException(
                $"Linux {generation.Name}: {generation.Distribution}'s package lists have no {package} ({why})", 1);

        var imageMeta = await Show(ImageMeta, "the cloud kernel metapackage");
        var imageName = FirstDependency(imageMeta, n => n.StartsWith("linux-image-", StringComparison.Ordinal) && n.EndsWith("-cloud-amd64", StringComparison.Ordinal))
            ?? throw new KmbException($"{ImageMeta} {imageMeta.Version} depends on no linux-image-*-cloud-amd64", 1);
        var release = imageName["linux-image-".Length..];
        var image = await Show(imageName, "the kernel image and modules");

        var headersMeta = await Show(HeadersMeta, "the headers metapackage");
        var headersName = FirstDependency(headersMeta, n => n == "linux-headers-" + release)
            ?? throw new KmbException($"{HeadersMeta} {headersMeta.Version} does not depend on linux-headers-{release} (image and headers out of step in the archive?)", 1);
        var headers = await Show(headersName, "the headers");
        var common = FirstDependency(headers, n => n.StartsWith("linux-headers-", StringComparison.Ordinal) && n.EndsWith("-common", StringComparison.Ordinal))
            ?? throw new KmbException($"{headersName} depends on no linux-headers-*-common", 1);
        var kbuild = FirstDependency(headers, n => n.StartsWith("linux-kbuild-", StringComparison.Ordinal))
            ?? throw new KmbException($"{headersName} depends on no linux-kbuild-*", 1);
        var compiler = await CompilerAsync(headers, Show);
        var source = await Show(generation.SourcePackage, "the kernel source tarball");

        return new KernelPackageSet(release, image.ToPackage(), headers.ToPackage(),
            (await Show(common, "the common headers")).ToPackage(), (await Show(kbuild, "kbuild scripts")).ToPackage(),
            source.ToPackage(), compiler);
    }

    /// <summary>gcc-N, named by the headers directly (6.x) or through linux-compiler-gcc-N-x86 (5.10).</summary>
    private static async Task<string> CompilerAsync(AptStanza headers, Func<string, string, Task<AptStanza>> show)
    {
        var direct = FirstDependency(headers, n => GccPackage().IsMatch(n));
        if (direct is not null) return direct;
        var meta = FirstDependency(headers, n => n.StartsWith("linux-compiler-gcc-", StringComparison.Ordinal));
        if (meta is not null)
        {
            var viaMeta = FirstDependency(await show(meta, "the compiler metapackage"), n => GccPackage().IsMatch(n));
            if (viaMeta is not null) return viaMeta;
        }
        throw new KmbException($"{headers.Package} names no compiler (gcc-N or linux-compiler-gcc-N-*) in its Depends", 1);
    }

    private static string? FirstDependency(AptStanza stanza, Func<string, bool> match) =>
        stanza.Depends().SelectMany(g => g).FirstOrDefault(match);

    [GeneratedRegex(@"^gcc-(\d+)$")]
    private static partial Regex GccPackage();
}
