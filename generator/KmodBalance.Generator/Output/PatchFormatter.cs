using System.Text;
using CliWrap;
using CliWrap.Buffered;
using KmodBalance.Generator.Source;

namespace KmodBalance.Generator.Output;

/// <summary>Author line of a patch: "Name &lt;email&gt;".</summary>
public sealed record PatchAuthor(string Name, string Email)
{
    public override string ToString() => $"{Name} <{Email}>";

    /// <summary>The user's git identity if set, so the sign-off is theirs.</summary>
    public static async Task<PatchAuthor> FromGitConfigAsync(CancellationToken ct)
    {
        var name = await GitConfigAsync("user.name", ct);
        var email = await GitConfigAsync("user.email", ct);
        return name is null || email is null
            ? new PatchAuthor("KmodBalance", "kmodbalance@localhost.localdomain")
            : new PatchAuthor(name, email);
    }

    private static async Task<string?> GitConfigAsync(string key, CancellationToken ct)
    {
        try
        {
            var r = await Cli.Wrap("git").WithArguments(["config", "--get", key])
                .WithValidation(CommandResultValidation.None).ExecuteBufferedAsync(ct);
            var value = r.StandardOutput.Trim();
            return r.ExitCode == 0 && value.Length > 0 ? value : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null; // no git: fall back to the tool's identity
        }
    }
}

/// <summary>Renders a change to tun.c as `git format-patch` output that applies with `patch -p1`.</summary>
public static class PatchFormatter
{
    public static async Task<string> FormatAsync(string original, string patched, PatchAuthor author,
        string subject, string message, DateTimeOffset date, CancellationToken ct)
    {
        var diff = await UnifiedDiffAsync(original, patched, ct);
        var (insertions, deletions) = CountChanges(diff);
        var text = new StringBuilder();
        text.Append("From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001\n");
        text.Append($"From: {author}\n");
        text.Append($"Date: {Rfc2822(date)}\n");
        text.Append($"Subject: [PATCH] {subject}\n\n");
        // No Signed-off-by: the DCO is a person's certificate, which a tool cannot give; the
        // submitter adds it (git am -s, git commit -s or format-patch -s).
        text.Append(message.TrimEnd() + "\n");
        text.Append("---\n");
        text.Append(DiffStat(insertions, deletions));
        text.Append('\n');
        text.Append($"diff --git a/{TunSource.TreePath} b/{TunSource.TreePath}\n");
        text.Append(diff);
        text.Append("-- \n");
        text.Append($"KmodBalance {typeof(PatchFormatter).Assembly.GetName().Version?.ToString(3)}\n\n");
        return text.ToString();
    }

    private static string Rfc2822(DateTimeOffset date)
    {
        var offset = date.Offset;
        var sign = offset < TimeSpan.Zero ? '-' : '+';
        return date.ToString("ddd, d MMM yyyy HH:mm:ss ", System.Globalization.CultureInfo.InvariantCulture) +
               $"{sign}{Math.Abs(offset.Hours):00}{Math.Abs(offset.Minutes):00}";
    }

    private static async Task<string> UnifiedDiffAsync(string original, string patched, CancellationToken ct)
    {
        var scratch = Directory.CreateTempSubdirectory("kmb-diff-");
        try
        {
            var a = Path.Combine(scratch.FullName, "a");
            var b = Path.Combine(scratch.FullName, "b");
            await File.WriteAllTextAsync(a, original, ct);
            await File.WriteAllTextAsync(b, patched, ct);
            var r = await Cli.Wrap("diff")
                .WithArguments(["-u", "-p", "--label", "a/" + TunSource.TreePath, "--label", "b/" + TunSource.TreePath, a, b])
                .WithValidation(CommandResultValidation.None)
                .ExecuteBufferedAsync(ct);
            if (r.ExitCode > 1)
                throw new KmbException($"diff failed: {r.StandardError.Trim()}", 1);
            return r.StandardOutput;
        }
        finally
        {
            scratch.Delete(recursive: true);
        }
    }

    private static (int Insertions, int Deletions) CountChanges(string diff)
    {
        var lines = diff.Split('\n');
        return (lines.Count(l => l.StartsWith('+') && !l.StartsWith("+++", StringComparison.Ordinal)),
                lines.Count(l => l.StartsWith('-') && !l.StartsWith("---", StringComparison.Ordinal)));
    }

    /// <summary>git's diffstat: the +/- graph is scaled to at most 50 columns.</summary>
    private static string DiffStat(int insertions, int deletions)
    {
        var total = insertions + deletions;
        var scale = total > 50 ? 50.0 / total : 1.0;
        var plus = insertions == 0 ? 0 : Math.Max(1, (int)Math.Round(insertions * scale));
        var minus = deletions == 0 ? 0 : Math.Max(1, (int)Math.Round(deletions * scale));
        var summary = $" 1 file changed, {insertions} insertion{(insertions == 1 ? "" : "s")}(+)";
        if (deletions > 0)
            summary += $", {deletions} deletion{(deletions == 1 ? "" : "s")}(-)";
        return $" {TunSource.TreePath} | {total} {new string('+', plus)}{new string('-', minus)}\n{summary}\n";
    }
}
