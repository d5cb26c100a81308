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
    public static async Task<BuildResult> BuildAsync(string moduleDir, string headersDir, bool extraWarnings, CancellationToken ct)
    {
        if (!File.Exists(Path.Combine(moduleDir, "tun.c")) || !File.Exists(Path.Combine(moduleDir, "Kbuild")))
            throw new KmbException($"{moduleDir} has no tun.c and Kbuild: give a directory written by `kmb generate`");
        // Debian's include/config/kernel.release holds the upstream version; UTS_RELEASE is what vermagic carries.
        var releaseFile = Path.Combine(headersDir, "include", "generated", "utsrelease.h");
        if (!File.Exists(Path.Combine(headersDir, "Makefile")) || !File.Exists(releaseFile))
            throw new KmbException(
                $"--kdir {headersDir} is not a prepared kernel build tree (no Makefile or include/generated/utsrelease.h): " +
                "give /lib/modules/<release>/build of installed headers (apt-get install linux-headers-cloud-amd64)");
        var manifest = Manifest.Read(moduleDir);
        if (manifest.VnetHeader.StartsWith("missing", StringComparison.Ordinal) &&
            !File.Exists(Path.Combine(moduleDir, TunSource.VnetHeaderName)))
            throw new KmbException($"{moduleDir}/tun.c includes tun_vnet.h, which is not beside it: copy drivers/net/tun_vnet.h of the same kernel tree into {moduleDir}");

        var release = UtsRelease(await File.ReadAllTextAsync(releaseFile, ct));
        var clock = Stopwatch.StartNew();
        string[] args = ["-C", headersDir, $"M={Path.GetFullPath(moduleDir)}", "modules"];
        var make = await Cli.Wrap("make")
            .WithArguments(extraWarnings ? [.. args, "W=1"] : args)
            .WithValidation(CommandResultValidation.None)
            .ExecuteBufferedAsync(ct);
        var output = make.StandardOutput + make.StandardError;
        if (make.ExitCode != 0)
            throw new KmbException($"kbuild failed (make exit {make.ExitCode}); its output:\n{output.TrimEnd()}", 1);
        var seconds = clock.Elapsed.TotalSeconds;

        var module = Path.Combine(Path.GetFullPath(moduleDir), "tun.ko");
        var vermagic = await ModinfoAsync(module, "vermagic", ct);
        var moduleRelease = vermagic.Split(' ', 2)[0];
        if (moduleRelease != release)
            throw new KmbException($"tun.ko's vermagic '{vermagic}' does not match the headers' kernel release {release}: the module would not load there", 1);

        var warnings = output.Split('\n').Where(l => l.Contains("warning:", StringComparison.Ordinal)).ToList();
        return new BuildResult(module, vermagic, release, seconds, warnings);
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
