namespace KmodBalance.Generator.Output;

/// <summary>
/// Writes a directory in one call under the <see cref="OutputDirectory"/> rule: readers see either
/// the old one or the complete new one, and nothing kmb did not write is ever deleted.
/// </summary>
public static class AtomicDirectory
{
    /// <param name="inputs">Files the command reads; the target may not hold any of them.</param>
    /// <param name="waiting">Told when another kmb holds the target's lock and this call waits for it.</param>
    /// <param name="ownNames">The entry names the writer writes, when it writes no manifest (see <see cref="OutputDirectory"/>).</param>
    public static async Task WriteAsync(string target, Func<string, Task> writeInto,
        IReadOnlyCollection<string>? inputs = null, IProgress<string>? waiting = null, CancellationToken ct = default,
        IReadOnlySet<string>? ownNames = null)
    {
        using var output = await OutputDirectory.OpenAsync(target, inputs ?? [], waiting, ct, ownNames);
        await output.ReplaceAsync(writeInto);
    }
}
