using CliWrap;
using CliWrap.Buffered;

namespace KmodBalance.Generator.Source;

/// <summary>
/// Finds and reads tun.c from a file, a kernel tree, a linux-source tarball, or
/// (with no option) the newest installed Debian linux-source tarball.
/// </summary>
public static class TunSourceLocator
{
    public const string InstalledSourceDir = "/usr/src";

    public static async Task<TunSource> ReadAsync(string? tunC, string? kernelSource, CancellationToken ct)
    {
        if (tunC is not null && kernelSource is not null)
            throw new KmbException("give either --tun-c or --kernel-source, not both");
        if (tunC is not null)
            return ReadFile(tunC);
        if (kernelSource is not null)
            return Directory.Exists(kernelSource)
                ? ReadTree(kernelSource)
                : await ReadTarballAsync(kernelSource, ct);
        return await ReadTarballAsync(FindInstalledTarball(), ct);
    }

    public static string FindInstalledTarball()
    {
        var tarballs = Directory.Exists(InstalledSourceDir)
            ? Directory.GetFiles(InstalledSourceDir, "linux-source-*.tar.xz")
            : [];
        if (tarballs.Length == 0)
            throw new KmbException(
                $"no tun.c given and no linux-source tarball in {InstalledSourceDir}: " +
                "pass --tun-c FILE or --kernel-source PATH, or install it: apt-get install linux-source-6.1");
        return tarballs.OrderBy(t => t, StringComparer.Ordinal).Last();
    }

    private static TunSource ReadFile(string path)
    {
        if (Directory.Exists(path))
            throw new KmbException($"--tun-c {path} is a directory: give the tun.c file in it, or --kernel-source {path} for a kernel tree");
        if (!File.Exists(path))
            throw new KmbException($"--tun-c {path}: no such file; give the path of a kernel's drivers/net/tun.c");
        var sibling = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path))!, TunSource.VnetHeaderName);
        var header = File.Exists(sibling) ? File.ReadAllText(sibling) : null;
        return new TunSource(File.ReadAllText(path), Path.GetFullPath(path), header, Path.GetFullPath(path));
    }

    private static TunSource ReadTree(string root)
    {
        var tun = Path.Combine(root, TunSource.TreePath);
        if (!File.Exists(tun))
            throw new KmbException($"--kernel-source {root}: no {TunSource.TreePath} in it; give the top of a kernel tree or a linux-source-*.tar.xz");
        var header = Path.Combine(Path.GetDirectoryName(tun)!, TunSource.VnetHeaderName);
        return new TunSource(File.ReadAllText(tun), Path.GetFullPath(tun),
            File.Exists(header) ? File.ReadAllText(header) : null, Path.GetFullPath(tun), Path.GetFullPath(root));
    }

    private static async Task<TunSource> ReadTarballAsync(string tarball, CancellationToken ct)
    {
        if (!File.Exists(tarball))
            throw new KmbException($"--kernel-source {tarball}: neither a directory nor a file; give a kernel tree or a linux-source-*.tar.xz");
        var members = await TarballReader.ExtractAsync(tarball,
            [TunSource.TreePath, "drivers/net/" + TunSource.VnetHeaderName], ct);
        var tun = members.GetValueOrDefault(TunSource.TreePath)
            ?? throw new KmbException($"{tarball} holds no {TunSource.TreePath}; is it a kernel source tarball?");
        return new TunSource(tun, $"{TunSource.TreePath} from {tarball}",
            members.GetValueOrDefault("drivers/net/" + TunSource.VnetHeaderName), Path.GetFullPath(tarball));
    }
}
