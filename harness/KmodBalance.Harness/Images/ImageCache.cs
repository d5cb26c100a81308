namespace KmodBalance.Harness.Images;

/// <summary>Built images under STATE/images/NAME-KEY16/ (image.cpio, manifest.txt, SSH keys).
/// A directory is published by an atomic rename, so a present directory is complete.</summary>
public sealed class ImageCache(string stateDir)
{
    public const string ImageFile = "image.cpio";
    public string Root { get; } = Path.Combine(stateDir, "images");

    public string DirFor(string name, string cacheKey) => Path.Combine(Root, $"{name}-{cacheKey[..16]}");

    public bool TryGet(string name, string cacheKey, out string dir)
    {
        dir = DirFor(name, cacheKey);
        return File.Exists(Path.Combine(dir, ImageFile)) && File.Exists(Path.Combine(dir, "manifest.txt"));
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
