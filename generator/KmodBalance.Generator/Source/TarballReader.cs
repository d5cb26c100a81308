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
    /// <exception cref="KmbException">tar could not read the file (not a tarball, corrupt): tar's own words.</exception>
    public static async Task<IReadOnlyDictionary<string, string>> ExtractAsync(
        string tarball, IReadOnlyList<string> treePaths, CancellationToken ct)
    {
        var scratch = Directory.CreateTempSubdirectory("kmb-tar-");
        try
        {
            // No -J: GNU tar recognises xz, gzip, bzip2 and zstd by their magic on extraction.
            var tar = await Cli.Wrap("tar")
                .WithArguments(["-xf", tarball, "-C", scratch.FullName, "--wildcards",
                    .. treePaths.Select(p => "*/" + p)])
                .WithValidation(CommandResultValidation.None)
                .ExecuteBufferedAsync(ct);
            if (tar.ExitCode != 0 && ReadError(tar.StandardError) is { } error)
                throw new KmbException($"{tarball}: tar cannot read it: {error}");
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

    /// <summary>tar's complaint, without the lines that only say a pattern matched nothing (tar exits
    /// non-zero for those too, and what was found is still extracted); null when nothing else is said.</summary>
    public static string? ReadError(string tarStderr)
    {
        var lines = tarStderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(l => !l.Contains("Not found in archive", StringComparison.Ordinal)
                && !l.Contains("Exiting with failure status due to previous errors", StringComparison.Ordinal))
            .ToList();
        return lines.Count == 0 ? null : string.Join("; ", lines);
    }
}
