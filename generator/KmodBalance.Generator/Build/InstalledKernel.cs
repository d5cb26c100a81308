using System.Text.RegularExpressions;

namespace KmodBalance.Generator.Build;

/// <summary>
/// A Debian cloud kernel installed on this machine (vmlinuz, modules and headers), found by
/// looking, never by a hard-coded ABI number (Debian bumps it with updates). The module is
/// built against its headers and the lab boots it.
/// </summary>
public sealed record InstalledKernel(string Release, string VmlinuzPath, string ModulesDir)
{
    public const string Flavour = "-cloud-amd64";

    public string HeadersDir => Path.Combine(ModulesDir, "build");

    /// <summary>Where this kernel's tun.c is read (a tree or tarball): null for the installed
    /// linux-source tarball; a fetched kernel (`kmb kernel fetch`) names its own tree.</summary>
    public string? SourceTree { get; init; }

    /// <summary>The newest /lib/modules/*-cloud-amd64 with a matching /boot/vmlinuz, or <paramref name="release"/>.</summary>
    /// <exception cref="KmbException">No such kernel is installed; the message says what to install.</exception>
    public static InstalledKernel Find(string? release = null)
    {
        var candidates = release is not null
            ? [release]
            : Directory.Exists("/lib/modules")
                ? Directory.GetDirectories("/lib/modules", "*" + Flavour).Select(Path.GetFileName).OfType<string>()
                    .OrderByDescending(r => r, Comparer<string>.Create(CompareRelease)).ToArray()
                : [];
        foreach (var r in candidates)
        {
            var vmlinuz = $"/boot/vmlinuz-{r}";
            if (File.Exists(vmlinuz) && Directory.Exists($"/lib/modules/{r}")) return new InstalledKernel(r, vmlinuz, $"/lib/modules/{r}");
        }
        throw new KmbException(release is null
            ? $"no Debian cloud kernel installed (/lib/modules/*{Flavour} with /boot/vmlinuz-*): " +
              "apt-get install linux-image-cloud-amd64 linux-headers-cloud-amd64, or run setup/install-deps.sh"
            : $"kernel {release} is not installed (/boot/vmlinuz-{release} and /lib/modules/{release} are needed)");
    }

    /// <summary>Pure: numeric-aware order of "6.1.0-56-cloud-amd64"-style releases (-100 after -99).</summary>
    public static int CompareRelease(string a, string b)
    {
        // The flavour's own digits ("amd64") are not part of the version.
        static long[] Numbers(string s) =>
            Regex.Matches(s.EndsWith(Flavour, StringComparison.Ordinal) ? s[..^Flavour.Length] : s, @"\d+")
                .Select(m => long.Parse(m.Value)).ToArray();
        var (x, y) = (Numbers(a), Numbers(b));
        for (var i = 0; i < Math.Min(x.Length, y.Length); i++)
            if (x[i] != y[i]) return x[i].CompareTo(y[i]);
        return x.Length.CompareTo(y.Length);
    }
}
