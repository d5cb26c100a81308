using System.Runtime.InteropServices;

namespace KmodBalance.Generator.Output;

/// <summary>What lstat says about a path: its owner, permission bits, type (a symlink is not followed) and inode.</summary>
public readonly record struct UnixPathInfo(uint Uid, UnixFileMode Mode, bool IsDirectory, bool IsSymlink, ulong Inode);

/// <summary>The few POSIX calls the safety rules need that .NET does not offer: the owner of a path
/// without following a symlink, the effective uid, and mkdir that fails on an existing name.</summary>
public static class UnixPath
{
    private const int AtFdCwd = -100, AtSymlinkNoFollow = 0x100, AtEmptyPath = 0x1000;
    private const uint StatxBasicStats = 0x7ff;
    private const int TypeMask = 0xF000, TypeDirectory = 0x4000, TypeSymlink = 0xA000;
    private const int Exists = 17; // EEXIST

    /// <summary>The calling process's effective uid (who owns what it creates).</summary>
    public static uint EffectiveUid => geteuid();

    /// <summary>lstat: null when the path does not exist.</summary>
    public static UnixPathInfo? Lstat(string path) => Statx(AtFdCwd, path, AtSymlinkNoFollow);

    /// <summary>fstat of an open descriptor: null if it is not open.</summary>
    public static UnixPathInfo? Fstat(int fd) => Statx(fd, "", AtEmptyPath);

    private static UnixPathInfo? Statx(int dirfd, string path, int flags)
    {
        // statx, not stat: its struct has one layout on every architecture.
        var buffer = new byte[256];
        if (statx(dirfd, path, flags, StatxBasicStats, buffer) != 0)
            return null;
        var uid = BitConverter.ToUInt32(buffer, 20);
        var mode = BitConverter.ToUInt16(buffer, 28);
        return new UnixPathInfo(uid, (UnixFileMode)(mode & 0xFFF), (mode & TypeMask) == TypeDirectory, (mode & TypeMask) == TypeSymlink,
            BitConverter.ToUInt64(buffer, 32));
    }

    /// <summary>mkdir(2) with <paramref name="mode"/> (less the umask); false if the name exists,
    /// whatever it is (a planted symlink included: mkdir never follows one).</summary>
    /// <exception cref="IOException">Any other failure, with the system's words.</exception>
    public static bool TryCreateDirectory(string path, UnixFileMode mode)
    {
        if (mkdir(path, (uint)mode) == 0)
            return true;
        var errno = Marshal.GetLastPInvokeError();
        if (errno == Exists)
            return false;
        throw new IOException($"mkdir {path}: {Marshal.GetPInvokeErrorMessage(errno)}");
    }

    /// <summary>The canonical path of an existing <paramref name="path"/>, every symlink resolved.</summary>
    public static string RealPath(string path)
    {
        var resolved = realpath(path, IntPtr.Zero);
        if (resolved == IntPtr.Zero)
            throw new IOException($"{path}: {Marshal.GetLastPInvokeErrorMessage()}");
        try { return Marshal.PtrToStringUTF8(resolved)!; }
        finally { Marshal.FreeHGlobal(resolved); }
    }

    [DllImport("libc", SetLastError = true)]
    private static extern uint geteuid();

    [DllImport("libc", SetLastError = true)]
    private static extern int statx(int dirfd, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags, uint mask, byte[] buffer);

    [DllImport("libc", SetLastError = true)]
    private static extern int mkdir([MarshalAs(UnmanagedType.LPUTF8Str)] string path, uint mode);

    [DllImport("libc", SetLastError = true)]
    private static extern IntPtr realpath([MarshalAs(UnmanagedType.LPUTF8Str)] string path, IntPtr resolved);
}
