using System.Security.Cryptography;
using System.Text;
using KmodBalance.Harness.Infrastructure;
using KmodBalance.Harness.Processes;

namespace KmodBalance.Harness.Images;

/// <summary>Compiles kmod/lab-tools (mqtap, udpflows, tapstress) on the runner, statically and warning-free, into
/// STATE/lab-tools/KEY16/, where KEY hashes the sources, the flags and the compiler's version: a
/// second build is a lookup. The L1 image takes them as inputs, so every lab verb has them.</summary>
public static class LabTools
{
    public static readonly string[] Names = ["mqtap", "udpflows", "tapstress"];
    public static readonly string[] Flags = ["-O2", "-static", "-Wall", "-Wextra", "-Werror"];

    /// <summary>kmod/lab-tools of the checkout that holds <paramref name="vmImagesDir"/>.</summary>
    public static string SourceDir(string vmImagesDir) => Path.GetFullPath(Path.Combine(vmImagesDir, "..", "kmod", "lab-tools"));

    /// <returns>Tool name -> path of the built binary.</returns>
    public static async Task<IReadOnlyDictionary<string, string>> BuildAsync(string sourceDir, string stateDir, IProgress<string> progress, CancellationToken ct)
    {
        const string step = "build-lab-tools";
        if (!Directory.Exists(sourceDir))
            throw new LabStepException(step, $"{sourceDir} not found (kmod/lab-tools of this checkout)");
        var gcc = await ProcessRunner.RunAsync(step, "gcc", ["--version"], TimeSpan.FromSeconds(20), ct);
        var key = CacheKey(sourceDir, gcc.StdOut.Split('\n')[0]);
        var dir = Path.Combine(stateDir, "lab-tools", key[..16]);
        var result = Names.ToDictionary(n => n, n => Path.Combine(dir, n));
        if (result.Values.All(File.Exists))
            return result;

        var temp = Directory.CreateDirectory(Path.Combine(stateDir, "lab-tools", $".build-{Guid.NewGuid():N}")).FullName;
        try
        {
            foreach (var name in Names)
            {
                var r = await ProcessRunner.RunAsync(step, "gcc", [.. Flags, "-o", Path.Combine(temp, name), Path.Combine(sourceDir, name + ".c")],
                    TimeSpan.FromSeconds(120), ct, check: false);
                if (r.ExitCode != 0 || r.StdErr.Trim().Length > 0)
                    throw new LabStepException(step, $"gcc {name}.c (exit {r.ExitCode}; warnings are errors): {ProcessRunner.Tail(r.StdErr)}");
            }
            try
            {
                Directory.Move(temp, dir);
            }
            catch (IOException) when (Names.All(n => File.Exists(Path.Combine(dir, n))))
            {
                // a concurrent run built the same key first
            }
            progress.Report($"built lab tools {string.Join(", ", Names)} -> {dir}");
            return result;
        }
        finally
        {
            if (Directory.Exists(temp)) Directory.Delete(temp, true);
        }
    }

    /// <summary>Pure apart from reading the sources: SHA-256 over every *.c/*.h (name and content),
    /// the flags and the compiler's version line.</summary>
    public static string CacheKey(string sourceDir, string compilerVersion)
    {
        // the tools built belong to the key: a kmb that builds fewer of them must not fill the same directory
        var sb = new StringBuilder("kmb-lab-tools v1\n").Append(compilerVersion.Trim()).Append('\n').Append(string.Join(' ', Flags)).Append('\n')
            .Append(string.Join(' ', Names)).Append('\n');
        foreach (var file in Directory.GetFiles(sourceDir).Where(f => f.EndsWith(".c", StringComparison.Ordinal) || f.EndsWith(".h", StringComparison.Ordinal))
                     .OrderBy(f => Path.GetFileName(f), StringComparer.Ordinal))
        {
            sb.Append(Path.GetFileName(file)).Append(' ').Append(Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(file)))).Append('\n');
        }
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(sb.ToString())));
    }
}
