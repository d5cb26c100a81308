namespace KmodBalance.Generator.Kernels;

/// <summary>One suite line of a private sources list: an archive URI, a suite and its components.</summary>
public sealed record AptSuite(string Uri, string Suite, string Components = "main");

/// <summary>
/// A kernel generation KmodBalance can fetch from Debian's archive and build for: the suites
/// that carry its cloud kernel, headers and linux-source package. 6.12 comes from
/// bookworm-backports (built on bookworm with gcc-12) rather than trixie (gcc-14, whose
/// compiler needs trixie's glibc and would not run here).
/// </summary>
public sealed record KernelGeneration(string Name, string Distribution, IReadOnlyList<AptSuite> Suites)
{
    public const string Archive = "http://deb.debian.org/debian";
    public const string SecurityArchive = "http://deb.debian.org/debian-security";

    /// <summary>linux-source-5.10 etc.: holds linux-source-X.tar.xz.</summary>
    public string SourcePackage => $"linux-source-{Name}";

    public static readonly KernelGeneration Linux5_10 = new("5.10", "bullseye",
        [new(Archive, "bullseye"), new(SecurityArchive, "bullseye-security")]);

    public static readonly KernelGeneration Linux6_1 = new("6.1", "bookworm",
        [new(Archive, "bookworm"), new(Archive, "bookworm-updates"), new(SecurityArchive, "bookworm-security")]);

    public static readonly KernelGeneration Linux6_12 = new("6.12", "bookworm-backports",
        [new(Archive, "bookworm-backports")]);

    public static IReadOnlyList<KernelGeneration> All { get; } = [Linux5_10, Linux6_1, Linux6_12];

    public static string SupportedNames => string.Join(", ", All.Select(g => g.Name));

    /// <summary>"5.10", "6.1" or "6.12" (a leading "v" or "linux-" is accepted).</summary>
    /// <exception cref="KmbException">Exit 2, naming the supported generations.</exception>
    public static KernelGeneration Parse(string? name)
    {
        var n = (name ?? "").Trim();
        if (n.StartsWith("linux-", StringComparison.OrdinalIgnoreCase)) n = n["linux-".Length..];
        if (n.StartsWith('v') || n.StartsWith('V')) n = n[1..];
        return All.FirstOrDefault(g => g.Name == n)
            ?? throw new KmbException(
                $"unsupported kernel generation '{name}': supported are {SupportedNames} " +
                "(Debian bullseye, bookworm and bookworm-backports cloud kernels)");
    }

    public override string ToString() => Name;
}
