using System.Text.RegularExpressions;
using KmodBalance.Harness.Processes;

namespace KmodBalance.Harness.Images;

/// <summary>The shared libraries a host executable needs (from `ldd`).</summary>
public static partial class LibraryClosure
{
    public static async Task<IReadOnlyList<string>> ResolveAsync(string executable, CancellationToken ct)
    {
        var r = await ProcessRunner.RunAsync("prepare-images", "ldd", [executable], TimeSpan.FromSeconds(30), ct, check: false);
        // static binaries: "not a dynamic executable" (exit 1)
        return r.ExitCode == 0 ? ParseLdd(r.StdOut) : [];
    }

    /// <summary>Pure: absolute library paths from ldd output (vdso has none and is skipped).</summary>
    public static IReadOnlyList<string> ParseLdd(string lddOutput) =>
        lddOutput.Split('\n').Select(l => AbsPath().Match(l)).Where(m => m.Success).Select(m => m.Groups[1].Value).Distinct().ToList();

    [GeneratedRegex(@"(?:=>\s+)?(/\S+)\s+\(0x")]
    private static partial Regex AbsPath();
}
