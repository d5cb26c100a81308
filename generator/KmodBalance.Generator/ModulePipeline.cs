using KmodBalance.Generator.Build;
using KmodBalance.Generator.Output;
using KmodBalance.Generator.Source;

namespace KmodBalance.Generator;

/// <summary>generate + build in one call, for the lab: the installed linux-source and headers.</summary>
public static class ModulePipeline
{
    /// <returns>The directory holding the built tun.ko.</returns>
    public static async Task<string> GenerateAndBuildAsync(string policy, string kernelRelease, string outDir,
        IProgress<string> progress, CancellationToken ct, Tunables? tunables = null)
    {
        var kernel = InstalledKernel.Find();
        if (kernel.Release != kernelRelease)
            throw new KmbException($"the lab kernel is {kernelRelease} but the installed headers are {kernel.Release}");
        progress.Report($"generating the {policy} tun.c from {TunSourceLocator.FindInstalledTarball()}");
        var source = await TunSourceLocator.ReadAsync(null, null, ct);
        var author = await PatchAuthor.FromGitConfigAsync(ct);
        await TunGenerator.GenerateAsync(new GenerateRequest(source, PolicyNames.Parse(policy), tunables ?? new Tunables(), outDir, author), ct);
        progress.Report($"building tun.ko against {kernel.HeadersDir}");
        var build = await KbuildRunner.BuildAsync(outDir, kernel.HeadersDir, extraWarnings: false, ct);
        progress.Report($"built {build.Module} in {build.Seconds:F1} s ({build.Vermagic})");
        return Path.GetFullPath(outDir);
    }
}
