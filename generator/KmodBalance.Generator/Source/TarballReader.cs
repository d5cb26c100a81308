using System.Formats.Tar;
using System.Text;
using CliWrap;

namespace KmodBalance.Generator.Source;

/// <summary>
/// Reads files out of a kernel source tarball (linux-source-X/...) by their path in the tree, in
/// one pass: decompressing the whole tarball takes seconds. The archive is read as a stream
/// (the decompressor's stdout into <see cref="TarReader"/>): nothing is extracted to disk, so a
/// kmb killed mid-read leaves no temporary directory, and the decompressor, writing into a pipe
/// nobody reads any more, dies of SIGPIPE instead of running on as an orphan.
/// </summary>
public static class TarballReader
{
    /// <returns>Tree path to content, for the members that exist.</returns>
    /// <exception cref="KmbException">The file is not a tar archive, or its compression is corrupt: the reader's own words.</exception>
    public static async Task<IReadOnlyDictionary<string, string>> ExtractAsync(
        string tarball, IReadOnlyList<string> treePaths, CancellationToken ct)
    {
        var wanted = treePaths.ToHashSet(StringComparer.Ordinal);
        var found = new Dictionary<string, string>();
        string? readError = null;
        async Task ReadTar(Stream stream, CancellationToken token)
        {
            try
            {
                await ReadMembersAsync(stream, wanted, found, token);
            }
            catch (Exception e) when (e is InvalidDataException or FormatException or EndOfStreamException)
            {
                readError = e.Message;
            }
            // The rest (the archive's padding, or what could not be read): the decompressor finishes
            // writing and exits on its own, saying what it found wrong, if anything.
            await stream.CopyToAsync(Stream.Null, token);
        }

        if (Decompressor(tarball) is not { } program)
        {
            await using var file = File.OpenRead(tarball);
            await ReadTar(file, ct);
        }
        else
        {
            // ExecuteAsync, not ExecuteBufferedAsync: that would also buffer the whole decompressed tree.
            var stderr = new StringBuilder();
            var run = await Cli.Wrap(program)
                .WithArguments(["-dc", "--", tarball])
                .WithStandardOutputPipe(PipeTarget.Create(ReadTar))
                .WithStandardErrorPipe(PipeTarget.ToStringBuilder(stderr))
                .WithValidation(CommandResultValidation.None)
                .ExecuteAsync(ct);
            if (run.ExitCode != 0)
                throw new KmbException($"{tarball}: {program} cannot decompress it: {Oneline(stderr.ToString())}");
        }
        if (readError is not null)
            throw new KmbException($"{tarball}: not a readable tar archive: {readError}");
        return found;
    }

    private static async Task ReadMembersAsync(Stream stream, HashSet<string> wanted, Dictionary<string, string> found, CancellationToken ct)
    {
        await using var reader = new TarReader(stream, leaveOpen: true);
        while (await reader.GetNextEntryAsync(copyData: false, ct) is { } entry)
        {
            // linux-source-6.1/drivers/net/tun.c -> drivers/net/tun.c
            var slash = entry.Name.IndexOf('/', StringComparison.Ordinal);
            if (slash < 0 || entry.DataStream is null || !wanted.Contains(entry.Name[(slash + 1)..]))
                continue;
            using var text = new StreamReader(entry.DataStream, Encoding.UTF8);
            found[entry.Name[(slash + 1)..]] = await text.ReadToEndAsync(ct);
        }
    }

    /// <summary>The program that decompresses <paramref name="tarball"/>, by its magic bytes (as GNU tar
    /// recognises them); null for an uncompressed file.</summary>
    public static string? Decompressor(string tarball)
    {
        Span<byte> magic = stackalloc byte[6];
        using (var file = File.OpenRead(tarball))
            magic = magic[..file.ReadAtLeast(magic, magic.Length, throwOnEndOfStream: false)];
        return magic switch
        {
            [0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00] => "xz",
            [0x1F, 0x8B, ..] => "gzip",
            [0x42, 0x5A, 0x68, ..] => "bzip2",
            [0x28, 0xB5, 0x2F, 0xFD, ..] => "zstd",
            _ => null,
        };
    }

    private static string Oneline(string text) =>
        string.Join("; ", text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
}
