namespace KmodBalance.Harness.Processes;

/// <summary>Host tools the lab needs, and the Debian package that provides each.</summary>
public static class ToolCatalog
{
    public static readonly IReadOnlyDictionary<string, string> Packages = new Dictionary<string, string>
    {
        ["ip"] = "iproute2",
        ["tc"] = "iproute2",
        ["qemu-system-x86_64"] = "qemu-system-x86",
        ["busybox"] = "busybox-static",
        ["dash"] = "dash",
        ["dropbear"] = "dropbear-bin",
        ["dropbearkey"] = "dropbear-bin",
        ["dropbearconvert"] = "dropbear-bin",
        ["ethtool"] = "ethtool",
        ["netperf"] = "netperf (Debian non-free; setup/install-deps.sh enables it)",
        ["netserver"] = "netperf (Debian non-free; setup/install-deps.sh enables it)",
        ["kmod"] = "kmod",
        ["modprobe"] = "kmod",
        ["depmod"] = "kmod",
        ["ldd"] = "libc-bin",
        ["timeout"] = "coreutils",
        ["make"] = "make",
        ["tar"] = "tar",
    };

    public static string Hint(string exeOrPath)
    {
        var name = Path.GetFileName(exeOrPath);
        return Packages.TryGetValue(name, out var pkg) ? $" (install the Debian package: apt-get install {pkg.Split(' ')[0]})" : "";
    }

    /// <summary>Absolute path of <paramref name="name"/> on $PATH (plus the sbin dirs), or null.</summary>
    public static string? Which(string name)
    {
        if (name.Contains('/')) return File.Exists(name) ? name : null;
        var dirs = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Concat(["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"]);
        return dirs.Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists);
    }

    /// <summary>Names of missing tools, each with its install hint.</summary>
    public static IReadOnlyList<string> Missing(IEnumerable<string> names) =>
        names.Where(n => Which(n) is null).Select(n => n + Hint(n)).ToList();
}
