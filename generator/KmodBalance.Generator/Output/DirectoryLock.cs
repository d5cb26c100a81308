using System.Runtime.InteropServices;

namespace KmodBalance.Generator.Output;

/// <summary>
/// An exclusive lock on an output or build directory among kmb processes: flock(2) on the
/// directory that holds it. The parent, not the directory: `generate` replaces the directory
/// by renaming, so a lock on it (or on a file in it) would move away with the old one. The
/// parent lock also covers the staging directories made beside it, and leaves no file behind.
/// It is coarser than needed (two outputs in one parent take turns), which costs only waiting.
/// The kernel drops the lock when its holder dies, so a killed kmb never leaves it held.
/// </summary>
public sealed class DirectoryLock : IDisposable
{
    private const int ReadOnly = 0, CloseOnExec = 0x80000;
    private const int Exclusive = 2, NonBlocking = 4;
    private const int WouldBlock = 11; // EWOULDBLOCK (EAGAIN) on Linux
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(200);

    private int _fd;

    private DirectoryLock(int fd) => _fd = fd;

    /// <summary>Takes the lock of <paramref name="fullDir"/>, waiting while another kmb holds it.</summary>
    /// <param name="waiting">Told once, when another kmb holds the lock, that this one waits.</param>
    /// <exception cref="KmbException">Exit 2: the parent directory cannot be opened.</exception>
    public static async Task<DirectoryLock> AcquireAsync(string fullDir, IProgress<string>? waiting, CancellationToken ct)
    {
        var parent = Path.GetDirectoryName(fullDir)!;
        var fd = Open(parent, ReadOnly | CloseOnExec);
        if (fd < 0)
            throw new KmbException($"{fullDir}: cannot open {parent} to lock it ({Marshal.GetLastPInvokeErrorMessage()})");
        try
        {
            var told = false;
            while (Flock(fd, Exclusive | NonBlocking) != 0)
            {
                if (Marshal.GetLastPInvokeError() != WouldBlock)
                    throw new KmbException($"{fullDir}: cannot lock {parent} ({Marshal.GetLastPInvokeErrorMessage()})");
                if (!told)
                {
                    waiting?.Report($"{fullDir}: another kmb is writing or building in {parent}; waiting for it to finish");
                    told = true;
                }
                await Task.Delay(Poll, ct);
            }
            return new DirectoryLock(fd);
        }
        catch
        {
            Close(fd);
            throw;
        }
    }

    public void Dispose()
    {
        if (_fd < 0)
            return;
        Close(_fd); // closing the last descriptor releases the flock
        _fd = -1;
    }

    [DllImport("libc", EntryPoint = "open", SetLastError = true)]
    private static extern int Open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);

    [DllImport("libc", EntryPoint = "flock", SetLastError = true)]
    private static extern int Flock(int fd, int operation);

    [DllImport("libc", EntryPoint = "close", SetLastError = true)]
    private static extern int Close(int fd);
}
