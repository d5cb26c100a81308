using System.Runtime.InteropServices;
using KmodBalance.Generator.Output;
using KmodBalance.Harness.Infrastructure;

namespace KmodBalance.Harness.Network;

/// <summary>
/// Who owns a lab netns: the run that created kmb-lab-PID holds an exclusive flock on
/// /run/kmb-lab/kmb-lab-PID.lock for the namespace's whole life. A PID says nothing across PID
/// namespaces (a run in a container is invisible in /proc here, and its PID may be reused), but a
/// flock is the kernel's: it is held exactly as long as the owning process lives, whatever namespace
/// it is in, and dropped when it dies, SIGKILL included. So a netns is stale only if its lock is free.
/// /run is used, not the state dir, because runs with different --state-dir share one netns name
/// space, and /run (like /run/netns) is emptied at boot.
/// </summary>
public sealed class NetnsLock : IDisposable
{
    public const string Directory = "/run/kmb-lab";
    private const int ReadWrite = 2, Create = 0x40, NoFollow = 0x20000, CloseOnExec = 0x80000;
    private const int Exclusive = 2, NonBlocking = 4;
    private const int WouldBlock = 11; // EWOULDBLOCK (EAGAIN) on Linux

    private readonly string _path;
    private int _fd;

    private NetnsLock(string path, int fd) { _path = path; _fd = fd; }

    public static string PathFor(string netns) => Path.Combine(Directory, netns + ".lock");

    /// <summary>Takes the lock of <paramref name="netns"/>: null if a live run holds it, or (with
    /// <paramref name="create"/> false) if there is no lock file, i.e. no kmb run ever claimed it.</summary>
    public static NetnsLock? TryAcquire(string netns, bool create)
    {
        EnsureDirectory();
        var path = PathFor(netns);
        while (true)
        {
            var fd = Open(path, ReadWrite | NoFollow | CloseOnExec | (create ? Create : 0), 0x180 /* 0600 */);
            if (fd < 0)
            {
                if (!create && !File.Exists(path)) return null;
                throw new LabStepException("create-netns", $"cannot open {path}: {Marshal.GetLastPInvokeErrorMessage()}");
            }
            if (Flock(fd, Exclusive | NonBlocking) != 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                Close(fd);
                if (errno == WouldBlock) return null;
                throw new LabStepException("create-netns", $"cannot lock {path}: {Marshal.GetPInvokeErrorMessage(errno)}");
            }
            // The previous holder may have removed the file between our open and flock: then this lock
            // guards nothing, and the file at the path (if any) is the one to lock.
            if (UnixPath.Fstat(fd)?.Inode == UnixPath.Lstat(path)?.Inode) return new NetnsLock(path, fd);
            Close(fd);
            if (!create && !File.Exists(path)) return null;
        }
    }

    /// <summary>Removes the lock file, then drops the lock: the netns it guarded is gone.</summary>
    public void Dispose()
    {
        if (_fd < 0) return;
        File.Delete(_path); // while still held: nobody can take a lock on a file about to vanish
        Close(_fd);
        _fd = -1;
    }

    /// <summary>/run/kmb-lab, made 0700 by the first run; refused if anyone else could plant a lock in it.</summary>
    private static void EnsureDirectory()
    {
        UnixPath.TryCreateDirectory(Directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var info = UnixPath.Lstat(Directory);
        if (info is not { IsDirectory: true, IsSymlink: false } d || d.Uid != UnixPath.EffectiveUid ||
            (d.Mode & (UnixFileMode.GroupWrite | UnixFileMode.OtherWrite)) != 0)
            throw new LabStepException("create-netns", $"{Directory} is not a directory of yours that only you can write: " +
                $"remove it (rm -r {Directory}) and run again");
    }

    [DllImport("libc", EntryPoint = "open", SetLastError = true)]
    private static extern int Open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags, uint mode);

    [DllImport("libc", EntryPoint = "flock", SetLastError = true)]
    private static extern int Flock(int fd, int operation);

    [DllImport("libc", EntryPoint = "close", SetLastError = true)]
    private static extern int Close(int fd);
}
