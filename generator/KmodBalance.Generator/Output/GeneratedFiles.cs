namespace KmodBalance.Generator.Output;

/// <summary>Everything `generate` writes, held in memory until the output directory takes it in one step.</summary>
/// <param name="Contents">File name to text, manifest.json included.</param>
/// <param name="Notes">What the user should know (a missing tun_vnet.h, no patch for stock).</param>
public sealed record GeneratedFiles(IReadOnlyDictionary<string, string> Contents, Manifest Manifest, IReadOnlyList<string> Notes)
{
    public async Task WriteIntoAsync(string dir)
    {
        foreach (var (name, text) in Contents)
            await File.WriteAllTextAsync(Path.Combine(dir, name), text);
    }

    /// <summary>Whether <paramref name="dir"/> already holds these exact bytes of <paramref name="names"/>.</summary>
    public bool SameIn(string dir, IEnumerable<string> names) =>
        names.All(name => File.Exists(Path.Combine(dir, name)) &&
            File.ReadAllText(Path.Combine(dir, name)) == Contents[name]);
}
