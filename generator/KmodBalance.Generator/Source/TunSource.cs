namespace KmodBalance.Generator.Source;

/// <summary>
/// A kernel's tun.c as read at run time, with the tun_vnet.h beside it when the
/// source had one (Linux 6.15+ needs it for an out-of-tree build).
/// </summary>
/// <param name="Origin">What was read, for messages and the manifest.</param>
/// <param name="InputFile">Full path of the file read (tun.c or the tarball): an output may never hold it.</param>
/// <param name="TreeRoot">Kernel tree the input came from, when known (for checkpatch).</param>
public sealed record TunSource(string Text, string Origin, string? VnetHeader, string InputFile, string? TreeRoot = null)
{
    /// <summary>Path of tun.c inside a kernel tree; the patch is relative to the tree's root.</summary>
    public const string TreePath = "drivers/net/tun.c";
    public const string VnetHeaderName = "tun_vnet.h";
}
