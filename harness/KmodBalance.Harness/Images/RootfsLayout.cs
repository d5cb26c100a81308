namespace KmodBalance.Harness.Images;

/// <summary>Debian bookworm's merged-/usr layout: /bin, /sbin, /lib, /lib64 are symlinks into /usr.</summary>
public static class RootfsLayout
{
    private static readonly (string Top, string Usr)[] Merged = [("bin", "usr/bin"), ("sbin", "usr/sbin"), ("lib", "usr/lib"), ("lib64", "usr/lib64")];

    /// <summary>Maps a path to where it lives in the image ("/lib/x" -> "/usr/lib/x"). Pure.</summary>
    public static string Normalize(string path)
    {
        var p = "/" + path.Trim().TrimStart('/');
        foreach (var (top, usr) in Merged)
            if (p == "/" + top || p.StartsWith("/" + top + "/", StringComparison.Ordinal))
                return "/" + usr + p[(top.Length + 1)..];
        return p;
    }

    public static IEnumerable<CpioEntry> Skeleton() =>
        Merged.SelectMany(m => new CpioEntry[] { new CpioDirectory("/" + m.Usr), new CpioSymlink("/" + m.Top, m.Usr) });
}
