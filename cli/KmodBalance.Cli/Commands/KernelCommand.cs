using System.CommandLine;
using KmodBalance.Generator;
using KmodBalance.Generator.Build;
using KmodBalance.Generator.Kernels;
using KmodBalance.Generator.Output;
using KmodBalance.Harness.Lab;

namespace KmodBalance.Cli.Commands;

/// <summary>`kmb kernel fetch|list`: Debian's 5.10, 6.1 and 6.12 cloud kernels as build targets, cached in the state dir.</summary>
internal static class KernelCommand
{
    public static Command Create()
    {
        var generation = new Argument<string[]>("generation")
        {
            Description = $"Kernel generation(s): {KernelGeneration.SupportedNames}",
            Arity = ArgumentArity.OneOrMore,
        };
        var refresh = new Option<bool>("--refresh") { Description = "Update the private package lists and fetch a newer kernel of the generation if the archive has one" };
        var fetchState = StateDirOption();
        var fetch = new Command("fetch",
            "Download (apt-get download, private apt configuration; the host's apt is untouched) and unpack a generation's " +
            "cloud kernel image and modules, headers, kbuild, linux-source tarball and, if missing here, its compiler. " +
            "A second fetch is a no-op")
        {
            generation, refresh, fetchState,
        };
        fetch.SetAction((r, ct) => CommandRunner.RunAsync(async () =>
        {
            // Every name is checked before anything is downloaded.
            var generations = r.GetValue(generation)!.Select(KernelGeneration.Parse).Distinct().ToList();
            var store = new KernelStore(r.GetValue(fetchState)!);
            var progress = new ConsoleProgress();
            foreach (var g in generations)
            {
                var (record, fetched) = await store.FetchAsync(g, r.GetValue(refresh), progress.Report, ct);
                if (!fetched) Console.WriteLine($"Linux {g.Name}: already fetched (cached in {store.DirOf(g)})");
                PrintRecord(record, store.DirOf(g));
            }
            return 0;
        }));

        var listState = StateDirOption();
        var list = new Command("list", "The supported kernel generations and what is fetched of each") { listState };
        list.SetAction((r, ct) => CommandRunner.RunAsync(() =>
        {
            var store = new KernelStore(r.GetValue(listState)!);
            Console.WriteLine($"{"kernel",-7} {"suite",-19} {"release",-28} {"version",-20} {"compiler",-8} {"size",9}  state");
            foreach (var e in store.List())
            {
                var rec = e.Record;
                Console.WriteLine(e.Decision.Fetch
                    ? $"{e.Generation.Name,-7} {e.Generation.Distribution,-19} {"-",-28} {"-",-20} {"-",-8} {"-",9}  {e.Decision.Reason}"
                    : $"{e.Generation.Name,-7} {e.Generation.Distribution,-19} {rec!.Release,-28} {rec.ImageVersion,-20} {rec.Compiler + (rec.CompilerFetched ? "*" : ""),-8} " +
                      $"{KernelStore.Mb(KernelStore.DiskBytes(store.DirOf(e.Generation))),9}  fetched {rec.FetchedAt:yyyy-MM-dd HH:mm}Z");
            }
            Console.WriteLine($"state dir: {Path.Combine(store.StateDir, "kernels")} (* = compiler fetched privately into the generation's toolchain/)");
            return Task.FromResult(0);
        }));

        var debugState = StateDirOption();
        var debug = new Command(DebugKernel.Name,
            "Build the debug lab kernel (6.1 from the installed linux-source-6.1 with KASAN, lockdep, PROVE_RCU, kmemleak, UBSAN, " +
            "DEBUG_LIST, DEBUG_OBJECTS_TIMERS, DEBUG_ATOMIC_SLEEP; about half an hour on 2 cores, progress with an ETA) into STATE/kernels/debug/. " +
            "A second call is a no-op; an interrupted build resumes. Lab verbs take it with --kernel debug")
        {
            debugState,
        };
        debug.SetAction((r, ct) => CommandRunner.RunAsync(async () =>
        {
            var kernel = new DebugKernel(r.GetValue(debugState)!);
            var progress = new ConsoleProgress();
            var (record, info) = await kernel.EnsureAsync(progress.Report, ct);
            PrintRecord(record, kernel.Dir);
            Console.WriteLine($"debug:    {string.Join(", ", info.DebugOptions.Select(o => "CONFIG_" + o))}");
            Console.WriteLine($"built:    {(info.Resumed ? "resumed, last part" : $"{info.Objects} objects")} in {info.BuildSeconds / 60:F1} min (cache key {info.Key})");
            return 0;
        }));

        return new Command("kernel", $"Kernels to build for besides the installed one: Linux {KernelGeneration.SupportedNames} from Debian's archive, and the debug lab kernel") { fetch, list, debug };
    }

    private static Option<string> StateDirOption() => new("--state-dir")
    {
        Description = "Where fetched kernels are cached (STATE/kernels/GEN/)",
        DefaultValueFactory = _ => StateDirectory.DefaultPath,
    };

    private static void PrintRecord(KernelRecord r, string dir)
    {
        Console.WriteLine($"Linux {r.Generation} ({r.Distribution}): {r.Release}, image {r.ImageVersion}");
        foreach (var p in r.Packages)
            Console.WriteLine($"  {p.Name} {p.Version} ({KernelStore.Mb(p.Bytes)})");
        Console.WriteLine($"compiler: {r.CompilerVersion} ({(r.CompilerFetched ? "fetched privately: " : "")}{r.CompilerCommand}); the kernel was built with {r.KernelCompiler ?? "?"}");
        Console.WriteLine($"vmlinuz:  {r.Vmlinuz}");
        Console.WriteLine($"modules:  {r.ModulesDir}");
        Console.WriteLine($"headers:  {r.HeadersDir}   (kmb build DIR --kernel {r.Generation}, or make -C it M=DIR)");
        Console.WriteLine($"tun.c:    {r.TunC}   (kmb generate --kernel {r.Generation})");
        Console.WriteLine($"source:   {r.SourceTarball}");
        Console.WriteLine($"on disk:  {KernelStore.Mb(r.DiskBytes)} in {dir}; record {Path.Combine(dir, KernelRecord.FileName)}");
    }

    // ---- shared by `generate --kernel` and `build --kernel` ----

    /// <summary>The `--kernel` option of the verbs that build for a kernel.</summary>
    public static Option<string?> KernelOption(string what) => new("--kernel")
    {
        Description = $"Kernel generation {KernelGeneration.SupportedNames}, or {DebugKernel.Name} (6.1 with KASAN, lockdep, kmemleak and UBSAN, " +
                      $"built from the installed linux-source-6.1): {what} (fetched or built into {StateDirectory.DefaultPath}/kernels/ on first use). " +
                      "Default: the installed Debian 6.1 cloud kernel",
    };

    /// <summary>Where `generate --kernel NAME` reads tun.c (STATE/kernels/GEN/src), fetched or not; null without --kernel.</summary>
    public static string? SourceTreeOf(string? name) =>
        // the debug kernel is built from the installed linux-source-6.1: generate's default source
        name is null || name == DebugKernel.Name ? null : new KernelStore(StateDirectory.DefaultPath).SourceDirOf(KernelGeneration.Parse(name));

    /// <summary>The fetched record of <paramref name="name"/> (fetching it on first use), or null when no --kernel was given.</summary>
    public static async Task<KernelRecord?> ResolveAsync(string? name, CancellationToken ct)
    {
        if (name is null) return null;
        var progress = new ConsoleProgress();
        if (name == DebugKernel.Name)
            return (await new DebugKernel(StateDirectory.DefaultPath).EnsureAsync(progress.Report, ct)).Record;
        var g = KernelGeneration.Parse(name);
        return await new KernelStore(StateDirectory.DefaultPath).EnsureAsync(g, progress.Report, ct);
    }

    /// <summary>The kernel a lab verb boots for `--kernel GEN` (fetched on first use), or null for the
    /// installed one; `--kernel-release` names an installed kernel, so the two exclude each other.</summary>
    public static async Task<InstalledKernel?> LabKernelAsync(string? generation, string? release, CancellationToken ct)
    {
        if (generation is not null && release is not null)
            throw new KmbException("give --kernel (a fetched generation) or --kernel-release (an installed kernel), not both");
        return (await ResolveAsync(generation, ct))?.AsKernel();
    }

    /// <summary>A note when <paramref name="moduleDir"/> was generated from another tun.c than <paramref name="record"/>'s.</summary>
    public static void NoteOtherSource(string moduleDir, KernelRecord record)
    {
        if (!File.Exists(Path.Combine(moduleDir, Manifest.FileName))) return;
        var input = Manifest.Read(moduleDir).Input;
        if (input.Sha256 != Manifest.Sha256Of(File.ReadAllText(record.TunC)))
            Console.WriteLine($"note: {moduleDir} was generated from {input.Origin}, not from Linux {record.Generation}'s tun.c " +
                              $"(`kmb generate --kernel {record.Generation}` makes one for it); building anyway");
    }

    /// <summary>
    /// The fetched generation other than 6.1 whose tun.c the directory was generated from
    /// (manifest.json's input sha256), or null: a generated 6.1 module keeps the installed headers.
    /// </summary>
    public static KernelRecord? DetectFromManifest(string moduleDir)
    {
        if (!File.Exists(Path.Combine(moduleDir, Manifest.FileName))) return null;
        var manifest = Manifest.Read(moduleDir);
        var store = new KernelStore(StateDirectory.DefaultPath);
        foreach (var g in KernelGeneration.All.Where(g => g != KernelGeneration.Linux6_1))
        {
            if (store.Decide(g).Fetch) continue;
            var record = store.Load(g)!;
            if (Manifest.Sha256Of(File.ReadAllText(record.TunC)) == manifest.Input.Sha256) return record;
        }
        return null;
    }
}
