using System.Diagnostics;
using CliWrap;
using CliWrap.Buffered;
using KmodBalance.Generator.Output;
using KmodBalance.Generator.Source;

namespace KmodBalance.Generator.Build;

/// <summary>What `kmb build` produced.</summary>
/// <param name="Warnings">Compiler warnings, verbatim (empty when clean).</param>
public sealed record BuildResult(string Module, string Vermagic, string KernelRelease, double Seconds, IReadOnlyList<string> Warnings);

/// <summary>Runs kbuild on a generated directory and checks the module against the headers.</summary>
public static class KbuildRunner
{
    /// <summary>Characters kbuild refuses in M= (it splits the path at whitespace: "building multiple
    /// external modules is not supported"; "module directory path cannot contain ':'").</summary>
    private static readonly char[] UnbuildablePathChars = [' ', '\t', '\n', ':'];

    /// <summary>Builds under the directory's <see cref="DirectoryLock"/>: a concurrent build or generate waits.</summary>
    /// <param name="waiting">Told when another kmb holds the lock and this build waits for it.</param>
    public static async Task<BuildResult> BuildAsync(string moduleDir, string headersDir, bool extraWarnings, CancellationToken ct,
        IProgress<string>? waiting = null)
    {
        var full = CheckBuildable(moduleDir, headersDir);
        using var held = await DirectoryLock.AcquireAsync(full, waiting, ct);
        return await BuildHeldAsync(full, headersDir, extraWarnings, ct);
    }

    /// <summary>For a caller that holds the lock of <paramref name="moduleDir"/> already (the lab's generate + build).</summary>
    internal static async Task<BuildResult> BuildHeldAsync(string moduleDir, string headersDir, bool extraWarnings, CancellationToken ct)
    {
        var full = CheckBuildable(moduleDir, headersDir);
        var releaseFile = Path.Combine(headersDir, "include", "generated", "utsrelease.h");
        var release = UtsRelease(await File.ReadAllTextAsync(releaseFile, ct));
        // A build that fails must not leave the previous tun.ko to be mistaken for its result.
        KbuildArtefacts.Remove(full);
        var clock = Stopwatch.StartNew();
        string[] args = ["-C", headersDir, $"M={full}", "modules"];
        var make = await Cli.Wrap("make")
            .WithArguments(extraWarnings ? [.. args, "W=1"] : args)
            .WithValidation(CommandResultValidation.None)
            .ExecuteBufferedAsync(ct);
        var output = make.StandardOutput + make.StandardError;
        if (make.ExitCode != 0)
            throw new KmbException($"kbuild failed (make exit {make.ExitCode}); its output:\n{output.TrimEnd()}", 1);
        var seconds = clock.Elapsed.TotalSeconds;

        var module = Path.Combine(full, KbuildArtefacts.Module);
        var vermagic = await ModinfoAsync(module, "vermagic", ct);
        var moduleRelease = vermagic.Split(' ', 2)[0];
        if (moduleRelease != release)
            throw new KmbException($"tun.ko's vermagic '{vermagic}' does not match the headers' kernel release {release}: the module would not load there", 1);

        var warnings = output.Split('\n').Where(l => l.Contains("warning:", StringComparison.Ordinal)).ToList();
        return new BuildResult(module, vermagic, release, seconds, warnings);
    }

    /// <summary>Everything checked before kbuild runs; the full path of the directory.</summary>
    private static string CheckBuildable(string moduleDir, string headersDir)
    {
        if (!Directory.Exists(moduleDir))
            throw new KmbException($"{moduleDir}: no such directory; give a directory written by `kmb generate`");
        var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(moduleDir));
        if (full.IndexOfAny(UnbuildablePathChars) >= 0)
            throw new KmbException($"{full}: kbuild cannot build in a directory whose path holds a space, tab, newline or ':' " +
                "(it takes M= apart at them); generate into a path without them");
        if (!File.Exists(Path.Combine(full, "tun.c")) || !File.Exists(Path.Combine(full, "Kbuild")))
            throw new KmbException($"{moduleDir} has no tun.c and Kbuild: give a directory written by `kmb generate`");
        // Debian's include/config/kernel.release holds the upstream version; UTS_RELEASE is what vermagic carries.
        var releaseFile = Path.Combine(headersDir, "include", "generated", "utsrelease.h");
        if (!File.Exists(Path.Combine(headersDir, "Makefile")) || !File.Exists(releaseFile))
            throw new KmbException(
                $"--kdir {headersDir} is not a prepared kernel build tree (no Makefile or include/generated/utsrelease.h): " +
                "give /lib/modules/<release>/build of installed headers (apt-get install linux-headers-cloud-amd64)");
        var manifest = Manifest.Read(full);
        if (manifest.VnetHeader.StartsWith("missing", StringComparison.Ordinal) &&
            !File.Exists(Path.Combine(full, TunSource.VnetHeaderName)))
            throw new KmbException($"{moduleDir}/tun.c includes tun_vnet.h, which is not beside it: copy drivers/net/tun_vnet.h of the same kernel tree into {moduleDir}");
        return full;
    }

    /// <summary>The string of "#define UTS_RELEASE "6.1.0-56-cloud-amd64"".</summary>
    public static string UtsRelease(string utsreleaseH)
    {
        var start = utsreleaseH.IndexOf('"');
        var end = start < 0 ? -1 : utsreleaseH.IndexOf('"', start + 1);
        if (end < 0)
            throw new KmbException($"utsrelease.h holds no UTS_RELEASE string: {utsreleaseH.Trim()}");
        return utsreleaseH[(start + 1)..end];
    }

    public static async Task<string> ModinfoAsync(string module, string field, CancellationToken ct)
    {
        var r = await Cli.Wrap("modinfo").WithArguments(["-F", field, module])
            .WithValidation(CommandResultValidation.None).ExecuteBufferedAsync(ct);
        if (r.ExitCode != 0)
            throw new KmbException($"modinfo {module} failed: {r.StandardError.Trim()} (install kmod)", 1);
        return r.StandardOutput.Trim();
    }
}
