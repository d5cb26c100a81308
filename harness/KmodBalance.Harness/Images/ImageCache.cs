using KmodBalance.Generator.Output;

namespace KmodBalance.Harness.Images;

/// <summary>Built images under STATE/images/NAME-KEY16/ (image.cpio, manifest.txt, SSH keys).
/// A directory is published by an atomic rename, so a present directory is complete. A cached image
/// is trusted only because the state dir passed <see cref="StateDirectory.Secure"/>: nobody else can
/// have put it there. An image holds SSH keys, so it is readable by its owner only.</summary>
public sealed class ImageCache(string stateDir)
{
    public const string ImageFile = "image.cpio";
    public const UnixFileMode SecretMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    public string Root { get; } = Path.Combine(StateDirectory.Secure(stateDir), "images");

    public string DirFor(string name, string cacheKey) => Path.Combine(Root, $"{name}-{cacheKey[..16]}");

    public bool TryGet(string name, string cacheKey, out string dir)
    {
        dir = DirFor(name, cacheKey);
        var image = Path.Combine(dir, ImageFile);
        if (!File.Exists(image) || !File.Exists(Path.Combine(dir, "manifest.txt")))
            return false;
        if (!OperatingSystem.IsWindows() && File.GetUnixFileMode(image) != SecretMode)
            File.SetUnixFileMode(image, SecretMode); // cached by a kmb that left images holding keys world-readable
        return true;
    }

    public string NewScratchDir(string name)
    {
        Directory.CreateDirectory(Root);
        return Directory.CreateDirectory(Path.Combine(Root, $".tmp-{name}-{Environment.ProcessId}-{Guid.NewGuid():N}")).FullName;
    }

    /// <summary>Moves a finished scratch dir into place; if another build won the race, keeps theirs.</summary>
    public string Publish(string scratchDir, string name, string cacheKey)
    {
        var dir = DirFor(name, cacheKey);
        try { Directory.Move(scratchDir, dir); }
        catch (IOException) when (Directory.Exists(dir)) { Directory.Delete(scratchDir, true); }
        return dir;
    }
}
