using System.Security.Cryptography;
using System.Text;
using KmodBalance.Generator.Build;
using KmodBalance.Harness.Infrastructure;
using KmodBalance.Harness.Processes;

namespace KmodBalance.Harness.Images;

/// <summary>What an image will contain, before secrets are generated. <see cref="Manifest"/>
/// lists every entry with its content hash: the cache key is its hash.</summary>
public sealed record ImagePlan(string Name, IReadOnlyList<CpioEntry> Entries, IReadOnlyList<RecipeDirective.Secret> Secrets, string Manifest)
{
    public string CacheKey => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Manifest)));
}

/// <summary>Turns a recipe into an <see cref="ImagePlan"/> by resolving host binaries, libraries,
/// modules, the kernel and the named inputs.</summary>
public static class ImagePlanner
{
    public static async Task<ImagePlan> PlanAsync(ImageRecipe recipe, InstalledKernel kernel, IReadOnlyDictionary<string, string> inputs,
        string scratchDir, CancellationToken ct)
    {
        var entries = new List<CpioEntry>(RootfsLayout.Skeleton());
        var secrets = new List<RecipeDirective.Secret>();
        var modules = new List<string>();
        var realBins = new HashSet<string>(StringComparer.Ordinal);

        // Busybox applets first: real binaries added later replace same-named links.
        foreach (var d in recipe.Directives.OfType<RecipeDirective.Busybox>())
        {
            RequireHostFile(d.HostPath);
            entries.Add(new CpioFile("/usr/bin/busybox", 0x1ED, d.HostPath));
            var list = await ProcessRunner.RunAsync("prepare-images", d.HostPath, ["--list-full"], TimeSpan.FromSeconds(10), ct);
            foreach (var applet in list.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                var path = RootfsLayout.Normalize(applet);
                if (path != "/usr/bin/busybox") entries.Add(new CpioSymlink(path, "/usr/bin/busybox"));
            }
        }
        foreach (var d in recipe.Directives)
        {
            switch (d)
            {
                case RecipeDirective.Bin b:
                    RequireHostFile(b.HostPath);
                    entries.Add(new CpioFile(RootfsLayout.Normalize(b.HostPath), 0x1ED, Resolve(b.HostPath)));
                    realBins.Add(RootfsLayout.Normalize(b.HostPath));
                    foreach (var lib in await LibraryClosure.ResolveAsync(b.HostPath, ct))
                        entries.Add(new CpioFile(RootfsLayout.Normalize(lib), 0x1ED, Resolve(lib)));
                    break;
                case RecipeDirective.HostFile h:
                    RequireHostFile(h.HostPath);
                    entries.Add(new CpioFile(RootfsLayout.Normalize(h.Dest), h.Mode ?? HostMode(Resolve(h.HostPath)), Resolve(h.HostPath)));
                    break;
                case RecipeDirective.Symlink l: entries.Add(new CpioSymlink(RootfsLayout.Normalize(l.Path), l.Target)); break;
                case RecipeDirective.Dir dir: entries.Add(new CpioDirectory(RootfsLayout.Normalize(dir.Path), dir.Mode)); break;
                case RecipeDirective.Module m: modules.Add(m.ModuleName); break;
                case RecipeDirective.File f: entries.Add(new CpioFile(RootfsLayout.Normalize(f.Dest), f.Mode, f.SourcePath)); break;
                case RecipeDirective.Kernel k: entries.Add(new CpioFile(RootfsLayout.Normalize(k.Dest), 0x1A4, kernel.VmlinuzPath)); break;
                case RecipeDirective.Input i:
                    if (i.Optional && !inputs.ContainsKey(i.InputName)) break;
                    if (!inputs.TryGetValue(i.InputName, out var src) || !File.Exists(src))
                        throw new LabStepException("prepare-images", $"image `{recipe.Name}` needs input `{i.InputName}` ({(src ?? "not given")})");
                    entries.Add(new CpioFile(RootfsLayout.Normalize(i.Dest), i.Mode, Path.GetFullPath(src)));
                    break;
                case RecipeDirective.Secret s: secrets.Add(s); break;
            }
        }
        if (modules.Count > 0)
        {
            var kos = await ModuleClosure.ResolveAsync(kernel, modules, scratchDir, ct);
            foreach (var ko in kos)
                entries.Add(new CpioFile($"/usr/lib/modules/{kernel.Release}/{ko}", 0x1A4, Path.Combine(kernel.ModulesDir, ko)));
            foreach (var (name, bytes) in await ModuleClosure.DepmodAsync(kernel, kos, scratchDir, ct))
                entries.Add(new CpioFile($"/usr/lib/modules/{kernel.Release}/{name}", 0x1A4, Content: bytes));
        }
        // Later entries win, as in CpioWriter.
        var final = new SortedDictionary<string, CpioEntry>(StringComparer.Ordinal);
        foreach (var e in entries) final[e.Name] = e;
        return new ImagePlan(recipe.Name, final.Values.ToList(), secrets, Manifest(recipe, kernel, final.Values, secrets));
    }

    /// <summary>Pure apart from hashing file contents: one line per entry, plus recipe text and kernel.</summary>
    public static string Manifest(ImageRecipe recipe, InstalledKernel kernel, IEnumerable<CpioEntry> entries, IEnumerable<RecipeDirective.Secret> secrets)
    {
        var sb = new StringBuilder();
        sb.Append("kmb-image-manifest v1\nname ").Append(recipe.Name).Append("\nkernel ").Append(kernel.Release).Append('\n');
        foreach (var e in entries)
        {
            sb.Append(e switch
            {
                CpioDirectory d => $"D {d.Name} {Convert.ToString(d.Mode, 8)}",
                CpioSymlink l => $"L {l.Name} -> {l.Target}",
                CpioCharDevice c => $"C {c.Name} {c.Major}:{c.Minor}",
                CpioFile f => $"F {f.Name} {Convert.ToString(f.Mode, 8)} {f.Length} {ContentHash(f)}",
                _ => throw new InvalidOperationException(),
            }).Append('\n');
        }
        foreach (var s in secrets) sb.Append($"S {s.SecretName} {s.Dest}\n");
        sb.Append("== recipe\n").Append(recipe.Text);
        return sb.ToString();
    }

    private static string ContentHash(CpioFile f)
    {
        using var s = f.Open();
        return Convert.ToHexStringLower(SHA256.HashData(s));
    }

    private static string Resolve(string path) => new FileInfo(path).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? Path.GetFullPath(path);

    private static int HostMode(string path) =>
        OperatingSystem.IsWindows() ? 0x1A4 : (int)File.GetUnixFileMode(path) & 0xFFF;

    private static void RequireHostFile(string path)
    {
        if (!File.Exists(path))
            throw new LabStepException("prepare-images", $"host file {path} is missing{ToolCatalog.Hint(path)}");
    }
}
