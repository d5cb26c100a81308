using KmodBalance.Harness.Processes;

namespace KmodBalance.Harness.Images;

/// <summary>Kernel module dependency closure (`modprobe --show-depends`) and the depmod
/// index files for just that subset.</summary>
public static class ModuleClosure
{
    public static async Task<IReadOnlyList<string>> ResolveAsync(string kernelRelease, IEnumerable<string> modules, CancellationToken ct)
    {
        var all = new List<string>();
        foreach (var m in modules)
        {
            var r = await ProcessRunner.RunAsync("prepare-images", "modprobe", ["-S", kernelRelease, "--show-depends", m],
                TimeSpan.FromSeconds(30), ct);
            all.AddRange(ParseShowDepends(r.StdOut));
        }
        return all.Distinct().ToList();
    }

    /// <summary>Pure: the .ko paths of `insmod PATH [args]` lines; builtin lines are skipped.</summary>
    public static IReadOnlyList<string> ParseShowDepends(string output) =>
        output.Split('\n').Select(l => l.Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(w => w.Length >= 2 && w[0] == "insmod").Select(w => w[1]).Distinct().ToList();

    /// <summary>Runs depmod over a scratch copy of the subset and returns the generated
    /// modules.* files (name -> bytes) that belong in /lib/modules/RELEASE.</summary>
    public static async Task<IReadOnlyDictionary<string, byte[]>> DepmodAsync(string kernelRelease, IReadOnlyList<string> koPaths,
        string scratchDir, CancellationToken ct)
    {
        var root = Directory.CreateDirectory(Path.Combine(scratchDir, "depmod")).FullName;
        var hostBase = $"/lib/modules/{kernelRelease}";
        var modBase = Path.Combine(root, "lib/modules", kernelRelease);
        Directory.CreateDirectory(modBase);
        foreach (var ko in koPaths)
        {
            var rel = Path.GetRelativePath(hostBase, ko);
            var dst = Path.Combine(modBase, rel);
            Directory.CreateDirectory(Path.GetDirectoryName(dst)!);
            File.Copy(ko, dst, overwrite: true);
        }
        foreach (var f in new[] { "modules.order", "modules.builtin", "modules.builtin.modinfo" })
            if (File.Exists(Path.Combine(hostBase, f))) File.Copy(Path.Combine(hostBase, f), Path.Combine(modBase, f), true);
        await ProcessRunner.RunAsync("prepare-images", "depmod", ["-b", root, kernelRelease], TimeSpan.FromSeconds(60), ct);
        var result = Directory.GetFiles(modBase, "modules.*").OrderBy(f => f, StringComparer.Ordinal)
            .ToDictionary(f => Path.GetFileName(f), File.ReadAllBytes);
        Directory.Delete(root, recursive: true);
        return result;
    }
}
