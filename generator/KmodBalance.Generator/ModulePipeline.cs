using KmodBalance.Generator.Build;
using KmodBalance.Generator.Output;
using KmodBalance.Generator.Source;

namespace KmodBalance.Generator;

/// <summary>generate + build in one call, for the lab: the installed linux-source and headers.</summary>
public static class ModulePipeline
{
    /// <summary>The files kbuild compiles; when they are unchanged the built tun.ko is kept, so the lab's
    /// image cache (keyed by tun.ko's bytes) hits instead of rebuilding the lab-host image.</summary>
    private static readonly string[] BuildInputs = ["tun.c", "Kbuild", "Makefile"];

    /// <returns>The directory holding the built tun.ko.</returns>
    public static async Task<string> GenerateAndBuildAsync(string policy, string kernelRelease, string outDir,
        IProgress<string> progress, CancellationToken ct, Tunables? tunables = null)
    {
        var kernel = InstalledKernel.Find(kernelRelease);
        if (!Directory.Exists(kernel.HeadersDir))
            throw new KmbException($"no headers for the lab kernel {kernelRelease} ({kernel.HeadersDir}): apt-get install linux-headers-{kernelRelease}");
        progress.Report($"generating the {policy} tun.c from {TunSourceLocator.FindInstalledTarball()}");
        var source = await TunSourceLocator.ReadAsync(null, null, ct);
        var author = await PatchAuthor.FromGitConfigAsync(ct);
        var target = Path.GetFullPath(outDir);
        var staging = $"{target}.staging-{Guid.NewGuid():N}";
        try
        {
            await TunGenerator.GenerateAsync(new GenerateRequest(source, PolicyNames.Parse(policy), tunables ?? new Tunables(), staging, author), ct);
            if (IsUpToDate(staging, target))
            {
                progress.Report($"{Path.Combine(target, "tun.ko")} is up to date (same tun.c, Kbuild and Makefile)");
                return target;
            }
            if (Directory.Exists(target)) Directory.Delete(target, recursive: true);
            Directory.Move(staging, target);
        }
        finally
        {
            if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
        }
        progress.Report($"building tun.ko against {kernel.HeadersDir}");
        var build = await KbuildRunner.BuildAsync(target, kernel.HeadersDir, extraWarnings: false, ct);
        progress.Report($"built {build.Module} in {build.Seconds:F1} s ({build.Vermagic})");
        return target;
    }

    private static bool IsUpToDate(string generated, string existing) =>
        File.Exists(Path.Combine(existing, "tun.ko")) &&
        BuildInputs.All(name => File.Exists(Path.Combine(existing, name)) &&
            File.ReadAllBytes(Path.Combine(generated, name)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(existing, name))));
}
