using KmodBalance.Generator.Build;
using KmodBalance.Generator.Output;
using KmodBalance.Generator.Source;

namespace KmodBalance.Generator;

/// <summary>generate + build in one call, for the lab: the lab kernel's linux-source and headers.</summary>
public static class ModulePipeline
{
    /// <summary>The files kbuild compiles; when they are unchanged the built tun.ko is kept, so the lab's
    /// image cache (keyed by tun.ko's bytes) hits instead of rebuilding the lab-host image.</summary>
    private static readonly string[] BuildInputs = ["tun.c", "Kbuild", "Makefile"];

    /// <param name="sources">The command's kernel sources: tun.c is read once for all the policies it builds.</param>
    /// <returns>The directory holding the built tun.ko.</returns>
    public static async Task<string> GenerateAndBuildAsync(Policy policy, Tunables tunables, InstalledKernel kernel, string outDir,
        TunSourceCache sources, IProgress<string> progress, CancellationToken ct)
    {
        if (!Directory.Exists(kernel.HeadersDir))
            throw new KmbException($"no headers for the lab kernel {kernel.Release} ({kernel.HeadersDir}): apt-get install linux-headers-{kernel.Release}");
        var tarball = kernel.SourceTree ?? TunSourceLocator.FindInstalledTarball();
        // One lock over generate and build: a concurrent lab run waits rather than building into a replaced directory.
        using var output = await OutputDirectory.OpenAsync(outDir, [tarball], progress, ct);
        progress.Report($"generating the {policy.Name()} tun.c from {tarball}");
        var source = await sources.ReadAsync(tarball, ct);
        var author = await PatchAuthor.FromGitConfigAsync(ct);
        var files = await TunGenerator.RenderAsync(
            new GenerateRequest(source, policy, tunables, output.FullPath, author), ct);
        if (File.Exists(Path.Combine(output.FullPath, KbuildArtefacts.Module)) && files.SameIn(output.FullPath, BuildInputs))
        {
            progress.Report($"{Path.Combine(output.FullPath, KbuildArtefacts.Module)} is up to date (same tun.c, Kbuild and Makefile)");
            return output.FullPath;
        }
        await output.ReplaceAsync(files.WriteIntoAsync);
        progress.Report($"building tun.ko against {kernel.HeadersDir}");
        var build = await KbuildRunner.BuildHeldAsync(output.FullPath, kernel.HeadersDir, extraWarnings: false, ct);
        progress.Report($"built {build.Module} in {build.Seconds:F1} s ({build.Vermagic})");
        return output.FullPath;
    }
}
