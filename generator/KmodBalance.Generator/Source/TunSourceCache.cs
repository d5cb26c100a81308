namespace KmodBalance.Generator.Source;

/// <summary>
/// The kernel sources one command reads, each read at most once: a lab verb or the matrix builds several
/// policies' modules from the same kernel, and reading tun.c out of an xz tarball takes about 9 s, which
/// `lab compare` once paid for every policy. One instance per command; the text is immutable, so every
/// module of the command is generated from the same tun.c.
/// </summary>
public sealed class TunSourceCache
{
    private readonly Dictionary<string, Task<TunSource>> _read = new(StringComparer.Ordinal);
    private readonly Func<string, CancellationToken, Task<TunSource>> _reader;

    public TunSourceCache() : this((path, ct) => TunSourceLocator.ReadAsync(null, path, ct)) { }

    /// <param name="reader">Reads the tun.c of a kernel tree or tarball (tests count the reads).</param>
    public TunSourceCache(Func<string, CancellationToken, Task<TunSource>> reader) => _reader = reader;

    /// <summary>The tun.c of <paramref name="kernelSource"/> (a kernel tree or a linux-source tarball), read on first use.</summary>
    public Task<TunSource> ReadAsync(string kernelSource, CancellationToken ct)
    {
        var key = Path.GetFullPath(kernelSource);
        lock (_read)
        {
            // A failed or cancelled read is not kept: the command fails with it, and a retry reads again.
            if (_read.TryGetValue(key, out var read) && !read.IsFaulted && !read.IsCanceled) return read;
            return _read[key] = _reader(kernelSource, ct);
        }
    }
}
