namespace KmodBalance.Generator.Build;

/// <summary>
/// The Debian cloud kernel installed on this machine, found by looking, never by a
/// hard-coded ABI number (Debian bumps it with updates).
/// </summary>
public sealed record InstalledKernel(string Release, string HeadersDir, string Image)
{
    public const string Flavour = "-cloud-amd64";

    public static InstalledKernel Find()
    {
        var releases = Directory.Exists("/lib/modules")
            ? Directory.GetDirectories("/lib/modules").Select(Path.GetFileName).OfType<string>()
                .Where(r => r.EndsWith(Flavour, StringComparison.Ordinal) && File.Exists($"/boot/vmlinuz-{r}"))
                .OrderBy(r => r, StringComparer.Ordinal).ToList()
            : [];
        if (releases.Count == 0)
            throw new KmbException(
                $"no Debian cloud kernel installed (/lib/modules/*{Flavour} with /boot/vmlinuz-*): " +
                "apt-get install linux-image-cloud-amd64 linux-headers-cloud-amd64, or run setup/install-deps.sh");
        var release = releases[^1];
        return new InstalledKernel(release, $"/lib/modules/{release}/build", $"/boot/vmlinuz-{release}");
    }
}
