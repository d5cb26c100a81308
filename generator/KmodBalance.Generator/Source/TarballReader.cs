using CliWrap;
using CliWrap.Buffered;

namespace KmodBalance.Generator.Source;

/// <summary>
/// Reads files out of a kernel source tarball (linux-source-X/...) by their path in
/// the tree, in one pass: decompressing the whole tarball takes seconds.
/// </summary>
public static class TarballReader
{
    /// <returns>Tree path to content, for the members that exist.</returns>
    public static async Task<IReadOnlyDictionary<string, string>> ExtractAsync(
        string tarball, IReadOnlyList<string> treePaths, CancellationToken ct)
    {
        var scratch = Directory.CreateTempSubdirectory("kmb-tar-");
        try
        {
            // tar exits non-zero when a pattern matches nothing; what was found is still extracted.
            await Cli.Wrap("tar")
                .WithArguments(["-xJf", tarball, "-C", scratch.FullName, "--wildcards",
                    .. treePaths.Select(p => "*/" + p)])
                .WithValidation(CommandResultValidation.None)
                .ExecuteBufferedAsync(ct);
            var found = new Dictionary<string, string>();
            foreach (var top in scratch.GetDirectories())
                foreach (var path in treePaths)
                {
                    var file = Path.Combine(top.FullName, path);
                    if (File.Exists(file))
                        found[path] = File.ReadAllText(file);
                }
            return found;
        }
        finally
        {
            scratch.Delete(recursive: true);
        }
    }
}
