using KmodBalance.Generator.Build;
using KmodBalance.Harness.Processes;

namespace KmodBalance.Harness.Images;

/// <summary>Kernel module dependency closure (`modprobe --show-depends`) and the depmod
/// index files for just that subset. Module paths are relative to the kernel's modules dir,
/// so a fetched kernel (unpacked in the state dir) lands at /lib/modules/RELEASE in the image.</summary>
public static class ModuleClosure
{
    /// <returns>Paths relative to <see cref="InstalledKernel.ModulesDir"/> ("kernel/drivers/net/virtio_net.ko").</returns>
    public static async Task<IReadOnlyList<string>> ResolveAsync(InstalledKernel kernel, IEnumerable<string> modules, string scratchDir,
        CancellationToken ct)
    {
        // An installed kernel has its modules.dep; a fetched one was unpacked, never installed, so
        // depmod indexes it in a scratch root whose kernel/ links to the unpacked modules.
        var hasIndex = File.Exists(Path.Combine(kernel.ModulesDir, "modules.dep"));
        var modBase = hasIndex ? kernel.ModulesDir : await IndexAsync(kernel, Path.Combine(scratchDir, "closure"), ct);
        var root = Path.GetFullPath(Path.Combine(modBase, "..", "..", ".."));
        try
        {
            var all = new List<string>();
            foreach (var m in modules)
            {
                var r = await ProcessRunner.RunAsync("prepare-images", "modprobe", ["-d", root, "-S", kernel.Release, "--show-depends", m],
                    TimeSpan.FromSeconds(30), ct);
                all.AddRange(ParseShowDepends(r.StdOut).Select(ko => Path.GetRelativePath(modBase, ko)));
            }
            return all.Distinct().ToList();
        }
        finally
        {
            if (!hasIndex) Directory.Delete(root, recursive: true);
        }
    }

    /// <summary>Pure: the .ko paths of `insmod PATH [args]` lines; builtin lines are skipped.</summary>
    public static IReadOnlyList<string> ParseShowDepends(string output) =>
        output.Split('\n').Select(l => l.Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(w => w.Length >= 2 && w[0] == "insmod").Select(w => w[1]).Distinct().ToList();

    /// <summary>ROOT/lib/modules/RELEASE with kernel/ linked to the kernel's modules and depmod's index.</summary>
    private static async Task<string> IndexAsync(InstalledKernel kernel, string root, CancellationToken ct)
    {
        var modBase = Path.Combine(root, "lib", "modules", kernel.Release);
        Directory.CreateDirectory(modBase);
        Directory.CreateSymbolicLink(Path.Combine(modBase, "kernel"), Path.Combine(kernel.ModulesDir, "kernel"));
        CopyIndexInputs(kernel.ModulesDir, modBase);
        await ProcessRunner.RunAsync("prepare-images", "depmod", ["-b", root, kernel.Release], TimeSpan.FromSeconds(60), ct);
        return modBase;
    }

    private static void CopyIndexInputs(string from, string to)
    {
        foreach (var f in new[] { "modules.order", "modules.builtin", "modules.builtin.modinfo" })
            if (File.Exists(Path.Combine(from, f))) File.Copy(Path.Combine(from, f), Path.Combine(to, f), true);
    }

    /// <summary>Runs depmod over a scratch copy of the subset and returns the generated
    /// modules.* files (name -> bytes) that belong in /lib/modules/RELEASE.</summary>
    public static async Task<IReadOnlyDictionary<string, byte[]>> DepmodAsync(InstalledKernel kernel, IReadOnlyList<string> modules,
        string scratchDir, CancellationToken ct)
    {
        var root = Directory.CreateDirectory(Path.Combine(scratchDir, "depmod")).FullName;
        var modBase = Path.Combine(root, "lib/modules", kernel.Release);
        Directory.CreateDirectory(modBase);
        foreach (var rel in modules)
        {
            var dst = Path.Combine(modBase, rel);
            Directory.CreateDirectory(Path.GetDirectoryName(dst)!);
            File.Copy(Path.Combine(kernel.ModulesDir, rel), dst, overwrite: true);
        }
        CopyIndexInputs(kernel.ModulesDir, modBase);
        await ProcessRunner.RunAsync("prepare-images", "depmod", ["-b", root, kernel.Release], TimeSpan.FromSeconds(60), ct);
        var result = Directory.GetFiles(modBase, "modules.*").OrderBy(f => f, StringComparer.Ordinal)
            .ToDictionary(f => Path.GetFileName(f), File.ReadAllBytes);
        Directory.Delete(root, recursive: true);
        return result;
    }
}
