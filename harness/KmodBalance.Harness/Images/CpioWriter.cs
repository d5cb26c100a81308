using System.Text;

namespace KmodBalance.Harness.Images;

/// <summary>One entry of an initramfs: a directory, a regular file (from a host path or bytes),
/// a symlink or a character device node.</summary>
public abstract record CpioEntry(string Path, int Mode)
{
    /// <summary>Archive name: relative, no leading slash ("usr/bin/ip").</summary>
    public string Name => Path.TrimStart('/');
}
public sealed record CpioDirectory(string Path, int Mode = 0x1ED /* 0755 */) : CpioEntry(Path, Mode);
public sealed record CpioFile(string Path, int Mode, string? SourcePath = null, byte[]? Content = null) : CpioEntry(Path, Mode)
{
    public long Length => Content?.LongLength ?? new FileInfo(SourcePath!).Length;
    public Stream Open() => Content is not null ? new MemoryStream(Content, writable: false) : File.OpenRead(SourcePath!);
}
public sealed record CpioSymlink(string Path, string Target) : CpioEntry(Path, 0x1FF /* 0777 */);
public sealed record CpioCharDevice(string Path, int Mode, int Major, int Minor) : CpioEntry(Path, Mode);

/// <summary>
/// Native "newc" (SVR4, no CRC) cpio writer, the format the kernel unpacks as an initramfs.
/// uid, gid and mtime are always 0 and inode numbers are assigned in write order, so identical
/// entries give a byte-identical archive (images are cached by the hash of their inputs).
/// </summary>
public static class CpioWriter
{
    private const int S_IFDIR = 0x4000, S_IFREG = 0x8000, S_IFLNK = 0xA000, S_IFCHR = 0x2000;

    /// <summary>Writes the entries sorted by name, adding missing parent directories (0755).</summary>
    public static void Write(Stream output, IEnumerable<CpioEntry> entries)
    {
        var byName = new SortedDictionary<string, CpioEntry>(StringComparer.Ordinal);
        foreach (var e in entries)
        {
            if (e.Name.Length == 0) continue;
            byName[e.Name] = e; // later entries win (recipes may override)
        }
        foreach (var name in byName.Keys.ToList())
            for (var parent = System.IO.Path.GetDirectoryName(name); !string.IsNullOrEmpty(parent); parent = System.IO.Path.GetDirectoryName(parent))
                byName.TryAdd(parent, new CpioDirectory("/" + parent));

        uint ino = 1;
        var buffer = new byte[1 << 16];
        foreach (var e in byName.Values)
        {
            switch (e)
            {
                case CpioDirectory d:
                    WriteHeader(output, ino++, S_IFDIR | (d.Mode & 0xFFF), 2, 0, 0, 0, d.Name);
                    break;
                case CpioSymlink l:
                    var target = Encoding.UTF8.GetBytes(l.Target);
                    WriteHeader(output, ino++, S_IFLNK | 0x1FF, 1, target.Length, 0, 0, l.Name);
                    output.Write(target);
                    Pad(output, target.Length);
                    break;
                case CpioCharDevice c:
                    WriteHeader(output, ino++, S_IFCHR | (c.Mode & 0xFFF), 1, 0, c.Major, c.Minor, c.Name);
                    break;
                case CpioFile f:
                    var length = f.Length;
                    if (length > uint.MaxValue) throw new InvalidOperationException($"{f.Path}: too large for newc cpio");
                    WriteHeader(output, ino++, S_IFREG | (f.Mode & 0xFFF), 1, length, 0, 0, f.Name);
                    using (var src = f.Open())
                    {
                        long copied = 0;
                        int n;
                        while ((n = src.Read(buffer, 0, buffer.Length)) > 0) { output.Write(buffer, 0, n); copied += n; }
                        if (copied != length) throw new IOException($"{f.Path}: changed size while being archived");
                    }
                    Pad(output, length);
                    break;
            }
        }
        WriteHeader(output, 0, 0, 1, 0, 0, 0, "TRAILER!!!");
    }

    public static byte[] ToBytes(IEnumerable<CpioEntry> entries)
    {
        using var ms = new MemoryStream();
        Write(ms, entries);
        return ms.ToArray();
    }

    private static void WriteHeader(Stream o, uint ino, int mode, int nlink, long size, int rdevMajor, int rdevMinor, string name)
    {
        var nameBytes = Encoding.UTF8.GetBytes(name);
        var sb = new StringBuilder("070701", 110);
        foreach (var v in new long[] { ino, mode, 0, 0, nlink, 0, size, 0, 0, rdevMajor, rdevMinor, nameBytes.Length + 1, 0 })
            sb.Append(((uint)v).ToString("x8"));
        o.Write(Encoding.ASCII.GetBytes(sb.ToString()));
        o.Write(nameBytes);
        o.WriteByte(0);
        Pad(o, 110 + nameBytes.Length + 1);
    }

    private static void Pad(Stream o, long written)
    {
        var pad = (int)((4 - written % 4) % 4);
        for (var i = 0; i < pad; i++) o.WriteByte(0);
    }
}
