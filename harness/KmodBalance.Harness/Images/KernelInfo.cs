namespace KmodBalance.Harness.Images;

/// <summary>The guest kernel: a Debian cloud kernel installed on the host (modules + vmlinuz).</summary>
public sealed record KernelInfo(string Release, string VmlinuzPath, string ModulesDir)
{
    public string BuildDir => Path.Combine(ModulesDir, "build");

    /// <summary>Finds the newest /lib/modules/*-cloud-amd64 that has a matching /boot/vmlinuz,
    /// or the given release.</summary>
    public static KernelInfo Discover(string? release = null)
    {
        var candidates = release is not null
            ? [release]
            : Directory.Exists("/lib/modules")
                ? Directory.GetDirectories("/lib/modules", "*-cloud-amd64").Select(Path.GetFileName).OfType<string>()
                    .OrderByDescending(r => r, Comparer<string>.Create(CompareRelease)).ToArray()
                : [];
        foreach (var r in candidates)
        {
            var vmlinuz = $"/boot/vmlinuz-{r}";
            if (File.Exists(vmlinuz) && Directory.Exists($"/lib/modules/{r}")) return new KernelInfo(r, vmlinuz, $"/lib/modules/{r}");
        }
        throw new Lab.LabStepException("prepare-images",
            release is null
                ? "no Debian cloud kernel found (/lib/modules/*-cloud-amd64 with /boot/vmlinuz-*): apt-get install linux-image-cloud-amd64 linux-headers-cloud-amd64"
                : $"kernel {release} not installed (/boot/vmlinuz-{release} and /lib/modules/{release} needed)");
    }

    /// <summary>Pure: numeric-aware comparison of "6.1.0-56-cloud-amd64"-style releases.</summary>
    public static int CompareRelease(string a, string b)
    {
        static long[] Nums(string s) => System.Text.RegularExpressions.Regex.Matches(s, @"\d+").Select(m => long.Parse(m.Value)).ToArray();
        var (x, y) = (Nums(a), Nums(b));
        for (var i = 0; i < Math.Min(x.Length, y.Length); i++)
            if (x[i] != y[i]) return x[i].CompareTo(y[i]);
        return x.Length.CompareTo(y.Length);
    }
}
