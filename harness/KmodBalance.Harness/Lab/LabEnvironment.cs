using KmodBalance.Generator.Build;
using KmodBalance.Generator.Output;
using KmodBalance.Harness.Infrastructure;

namespace KmodBalance.Harness.Lab;

/// <summary>
/// What every lab verb (run, compare, check, capacity, and the matrix for them) runs on: the state dir,
/// the kernel L1 (and L2) boot, vm-images/, and the tunables of the modules it builds. One record, so
/// that a verb's options hold it once instead of spelling the same five properties again.
/// </summary>
public sealed record LabEnvironment
{
    public string StateDir { get; init; } = StateDirectory.DefaultPath;
    /// <summary>`--kernel-release`: an installed kernel (default: the newest installed cloud kernel).</summary>
    public string? KernelRelease { get; init; }
    /// <summary>A fetched kernel (`--kernel GEN`) to build for and boot instead of the installed one.</summary>
    public InstalledKernel? Kernel { get; init; }
    public string? VmImagesDir { get; init; }
    /// <summary>`--threshold`, `--period-ms`: what the remapping policies' modules are generated with.</summary>
    public Tunables Tunables { get; init; } = new();

    /// <summary>vm-images/ of this checkout (see <see cref="LocateVmImages"/>).</summary>
    public string ResolveVmImagesDir() => LocateVmImages(VmImagesDir);

    /// <summary>vm-images/: <paramref name="explicitDir"/> (--vm-images), $KMB_ROOT (set by ./kmb), or found above the binary.</summary>
    public static string LocateVmImages(string? explicitDir)
    {
        if (explicitDir is not null) return explicitDir;
        if (Environment.GetEnvironmentVariable("KMB_ROOT") is { Length: > 0 } root && Directory.Exists(Path.Combine(root, "vm-images")))
            return Path.Combine(root, "vm-images");
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (Directory.Exists(Path.Combine(d.FullName, "vm-images"))) return Path.Combine(d.FullName, "vm-images");
        throw new LabStepException("prepare-images", "cannot find vm-images/ (run through ./kmb, or set KMB_ROOT)");
    }
}
