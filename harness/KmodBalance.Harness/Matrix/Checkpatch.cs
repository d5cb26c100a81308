using System.Text.RegularExpressions;
using KmodBalance.Harness.Processes;

namespace KmodBalance.Harness.Matrix;

/// <summary>A kernel tree's own scripts/checkpatch.pl, --strict, on the generated patch.</summary>
public static partial class Checkpatch
{
    public sealed record Result(CheckpatchTotals Totals, string Output);

    /// <summary>perl's arguments. --no-tree: a fetched tree holds only tun.c and checkpatch's own files, not a
    /// whole kernel. --no-signoff: the patch carries no Signed-off-by, which only its submitter can give.</summary>
    public static IReadOnlyList<string> Arguments(string checkpatchPl, string patch) =>
        [checkpatchPl, "--no-tree", "--no-signoff", "--strict", patch];

    public static async Task<Result> RunAsync(string checkpatchPl, string patch, CancellationToken ct)
    {
        var r = await ProcessRunner.RunAsync("checkpatch", "perl", Arguments(checkpatchPl, patch),
            TimeSpan.FromMinutes(5), ct, check: false);
        var output = r.StdOut + r.StdErr;
        return new Result(ParseTotals(output) ?? throw new FormatException(
            $"{checkpatchPl} printed no 'total:' line (exit {r.ExitCode}): {ProcessRunner.Tail(output, 300)}"), output);
    }

    /// <summary>Pure: the last "total: ..." line, or null when there is none.</summary>
    public static CheckpatchTotals? ParseTotals(string output)
    {
        var m = TotalLine().Matches(output);
        if (m.Count == 0) return null;
        var g = m[^1].Groups;
        return new CheckpatchTotals(int.Parse(g[1].Value), int.Parse(g[2].Value), g[3].Success ? int.Parse(g[3].Value) : 0, int.Parse(g[4].Value));
    }

    [GeneratedRegex(@"total: (\d+) errors?, (\d+) warnings?, (?:(\d+) checks?, )?(\d+) lines checked")]
    private static partial Regex TotalLine();
}
