namespace KmodBalance.Generator.Output;

/// <summary>
/// The state dir (`--state-dir`): fetched kernels, built modules, VM images with their SSH keys,
/// lab tools and one directory per lab run. kmb trusts what it caches there and writes there as
/// root, so the directory must be the invoking user's alone:
/// <list type="bullet">
/// <item>created with mode 0700; an existing one must be a real directory (not a symlink) owned by
/// the invoking user and writable by nobody else (a 0755 one of that user is tightened to 0700);</item>
/// <item>every directory above it must belong to root or the user and, if others may write it,
/// be sticky (like /var/tmp), so nobody else can swap the state dir for their own.</item>
/// </list>
/// Inside such a directory no one else can plant a file or symlink, so its caches may be trusted
/// and files in it created normally. Every refusal is a <see cref="KmbException"/> (exit 2).
/// </summary>
public static class StateDirectory
{
    public const string DefaultPath = "/var/tmp/kmodbalance";

    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private const UnixFileMode OthersWrite = UnixFileMode.GroupWrite | UnixFileMode.OtherWrite;
    private const UnixFileMode GroupOrOthers = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute |
        UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    /// <summary>Creates <paramref name="path"/> or checks the existing one against the rule above.</summary>
    /// <returns>Its canonical full path, to be used from then on.</returns>
    public static string Secure(string path)
    {
        var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(path));
        var parent = Path.GetDirectoryName(full)
            ?? throw new KmbException($"--state-dir {path} is the root directory: give a directory of its own (default {DefaultPath})");
        string dir;
        try
        {
            Directory.CreateDirectory(parent);
            dir = Path.Combine(UnixPath.RealPath(parent), Path.GetFileName(full));
            CheckAncestors(path, Path.GetDirectoryName(dir)!);
            UnixPath.TryCreateDirectory(dir, OwnerOnly);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new KmbException($"--state-dir {path}: cannot create it ({e.Message}); give a directory you can write");
        }
        var me = UnixPath.EffectiveUid;
        var info = UnixPath.Lstat(dir) ?? throw new KmbException($"--state-dir {path}: {dir} vanished while it was being checked; run again");
        if (info.IsSymlink)
            throw new KmbException($"--state-dir {path}: {dir} is a symlink (to {new FileInfo(dir).LinkTarget}); kmb does not follow one, " +
                $"since whoever made it chooses where kmb writes and what it trusts: remove it (rm {dir}) or give another --state-dir");
        if (!info.IsDirectory)
            throw new KmbException($"--state-dir {path}: {dir} is not a directory: remove it or give another --state-dir");
        if (info.Uid != me)
            throw new KmbException($"--state-dir {path}: {dir} belongs to uid {info.Uid}, not to you (uid {me}); its images, modules " +
                $"and keys may be planted: remove it (rm -r {dir}) or give another --state-dir");
        if ((info.Mode & OthersWrite) != 0)
            throw new KmbException($"--state-dir {path}: {dir} is writable by others (mode {Octal(info.Mode)}), so its images, modules " +
                $"and keys may be planted: remove it (rm -r {dir}) or give another --state-dir");
        if ((info.Mode & GroupOrOthers) != 0 && !OperatingSystem.IsWindows())
            File.SetUnixFileMode(dir, OwnerOnly); // the user's own directory: only its keys were readable
        return dir;
    }

    /// <summary>Whoever may write a directory above the state dir could rename it away and put their own in its place.</summary>
    private static void CheckAncestors(string path, string realParent)
    {
        var me = UnixPath.EffectiveUid;
        for (var d = realParent; d is not null; d = Path.GetDirectoryName(d))
        {
            var info = UnixPath.Lstat(d) ?? throw new IOException($"{d} vanished");
            if (info.Uid != 0 && info.Uid != me)
                throw new KmbException($"--state-dir {path}: {d} above it belongs to uid {info.Uid}, who could replace the state dir: " +
                    "give a --state-dir under directories owned by root or you");
            if ((info.Mode & OthersWrite) != 0 && (info.Mode & UnixFileMode.StickyBit) == 0)
                throw new KmbException($"--state-dir {path}: {d} above it is writable by others and not sticky (mode {Octal(info.Mode)}), " +
                    "so anyone could replace the state dir: give a --state-dir elsewhere");
        }
    }

    private static string Octal(UnixFileMode mode) => "0" + Convert.ToString((int)mode, 8);
}
