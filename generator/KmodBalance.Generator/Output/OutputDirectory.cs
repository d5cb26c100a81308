using KmodBalance.Generator.Build;

namespace KmodBalance.Generator.Output;

/// <summary>
/// The one rule for a directory kmb writes: it never deletes anything kmb did not write.
/// <list type="bullet">
/// <item>A directory may be replaced only when it is empty or a previous kmb output whose every
/// entry kmb wrote: one with a manifest.json kmb wrote (its <c>files</c>, plus what `kmb build` adds,
/// see <see cref="KbuildArtefacts"/>), or, for a writer without a manifest (a report), one holding
/// only names that writer declares as its own.</item>
/// <item>The current directory (or one holding it), the root, a directory holding an input, and a
/// path that is a file are refused before anything is written.</item>
/// <item>New content is written into a staging directory beside the target and renamed into place,
/// so readers see the old or the whole new output. Staging directories are only made under the
/// <see cref="DirectoryLock"/> of the target's parent, so whoever holds it removes any left by a killed kmb.</item>
/// </list>
/// Every refusal is a <see cref="KmbException"/> (exit 2) naming the directory.
/// </summary>
public sealed class OutputDirectory : IDisposable
{
    private readonly DirectoryLock _lock;
    private readonly string _staging;

    private OutputDirectory(string fullPath, DirectoryLock held)
    {
        FullPath = fullPath;
        _lock = held;
        _staging = NewStagingPath();
    }

    public string FullPath { get; }

    private string Parent => Path.GetDirectoryName(FullPath)!;
    private string Name => Path.GetFileName(FullPath);
    private const string StagingMarker = ".kmb-staging-";
    private string StagingPrefix => $".{Name}{StagingMarker}";

    /// <summary>Checks <paramref name="path"/> against the rule, then locks it and removes stale staging.</summary>
    /// <param name="inputs">Files the command reads; the output may not hold any of them.</param>
    /// <param name="ownNames">For a writer without a manifest: the entry names it writes, by which its
    /// previous output is recognised. Without them, a non-empty directory must hold a kmb manifest.</param>
    public static async Task<OutputDirectory> OpenAsync(string path, IReadOnlyCollection<string> inputs,
        IProgress<string>? waiting, CancellationToken ct, IReadOnlySet<string>? ownNames = null)
    {
        var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(path));
        if (Path.GetDirectoryName(full) is null)
            throw new KmbException($"{path} is the root directory: give a directory of its own for the output");
        if (File.Exists(full))
            throw new KmbException($"{path} is a file, not a directory: give a directory for the output");
        if (IsWithin(Environment.CurrentDirectory, full))
            throw new KmbException($"{path} is the current directory or holds it: give a new directory for the output (e.g. out/dyn)");
        if (inputs.FirstOrDefault(i => IsWithin(Path.GetFullPath(i), full)) is { } input)
            throw new KmbException($"{path} holds the input {input}: write the output to another directory");
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new KmbException($"{path}: cannot create its parent directory ({e.Message})");
        }
        var held = await DirectoryLock.AcquireAsync(full, waiting, ct);
        var output = new OutputDirectory(full, held);
        try
        {
            output.RefuseForeignContent(path, ownNames);
            output.RemoveStaleStaging();
            output.CreateStaging(path);
            return output;
        }
        catch
        {
            output.Dispose();
            throw;
        }
    }

    /// <summary>Checks <paramref name="path"/> against the rule, and that a staging directory can be made
    /// beside it, leaving nothing behind: for a verb that writes its output only after a long run.</summary>
    public static async Task CheckAsync(string path, IReadOnlySet<string>? ownNames, CancellationToken ct)
    {
        using var _ = await OpenAsync(path, [], null, ct, ownNames);
    }

    /// <summary>Replaces the directory with what <paramref name="writeInto"/> writes into the empty staging
    /// directory; on any error the old output stays as it was. Once per <see cref="OutputDirectory"/>.</summary>
    public async Task ReplaceAsync(Func<string, Task> writeInto)
    {
        await writeInto(_staging);
        if (Directory.Exists(FullPath))
        {
            // The old output becomes staging too: if kmb dies before deleting it, the next holder of the lock does.
            var retired = NewStagingPath();
            Directory.Move(FullPath, retired);
            Directory.Move(_staging, FullPath);
            Directory.Delete(retired, recursive: true);
        }
        else
        {
            Directory.Move(_staging, FullPath);
        }
    }

    /// <summary>The entries of <paramref name="dir"/> its manifest says kmb wrote; null without a kmb manifest.</summary>
    public static IReadOnlySet<string>? EntriesInManifest(string dir) =>
        Manifest.TryRead(Path.Combine(dir, Manifest.FileName), out _) is { } m ? new HashSet<string>([.. m.Files, Manifest.FileName]) : null;

    /// <summary>Removes the staging directory if it was not used, then releases the lock.</summary>
    public void Dispose()
    {
        try
        {
            if (Directory.Exists(_staging))
                Directory.Delete(_staging, recursive: true);
        }
        finally
        {
            _lock.Dispose();
        }
    }

    private void RefuseForeignContent(string path, IReadOnlySet<string>? ownNames)
    {
        if (!Directory.Exists(FullPath))
            return;
        var entries = new DirectoryInfo(FullPath).EnumerateFileSystemInfos().Select(e => e.Name).ToList();
        if (entries.Count == 0)
            return;
        var written = EntriesInManifest(FullPath)
            ?? (ownNames is not null && entries.Any(ownNames.Contains) ? ownNames : null)
            ?? throw new KmbException($"{path} is not empty and is not a previous kmb output (no {Manifest.FileName} written by kmb): " +
                "kmb replaces only its own outputs; give a new or empty directory");
        var foreign = entries.Where(e => !written.Contains(e) && !KbuildArtefacts.IsArtefact(e)).Order(StringComparer.Ordinal).ToList();
        if (foreign.Count > 0)
            throw new KmbException($"{path} is a previous kmb output but also holds what kmb did not write " +
                $"({string.Join(", ", foreign.Take(5))}{(foreign.Count > 5 ? ", ..." : "")}): move that away or give another directory");
    }

    /// <summary>Made up front: an unwritable place (e.g. under /proc) is refused before any expensive step.</summary>
    private void CreateStaging(string path)
    {
        try
        {
            Directory.CreateDirectory(_staging);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new KmbException($"{path}: cannot write in {Parent} ({e.Message}); give a directory you can write");
        }
    }

    /// <summary>Every staging directory in the parent, of any output: they are only made under its lock.</summary>
    private void RemoveStaleStaging()
    {
        foreach (var stale in Directory.EnumerateDirectories(Parent, "." + "*" + StagingMarker + "*"))
            Directory.Delete(stale, recursive: true);
    }

    /// <summary>The pid is for a person reading the directory; liveness is the lock's business.</summary>
    private string NewStagingPath() =>
        Path.Combine(Parent, $"{StagingPrefix}{Environment.ProcessId}-{Guid.NewGuid():N}");

    private static bool IsWithin(string path, string dir) =>
        path == dir || path.StartsWith(dir + Path.DirectorySeparatorChar, StringComparison.Ordinal);
}
