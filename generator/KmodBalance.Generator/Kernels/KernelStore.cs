using System.Diagnostics;
using CliWrap;
using CliWrap.Buffered;
using KmodBalance.Generator.Output;
using KmodBalance.Generator.Source;

namespace KmodBalance.Generator.Kernels;

/// <summary>Whether a fetch has work to do, and why.</summary>
public sealed record CacheDecision(bool Fetch, string Reason)
{
    public static CacheDecision Cached(KernelRecord r) => new(false, $"cached: {r.Release} ({r.ImageVersion})");
}

/// <summary>One line of `kmb kernel list`.</summary>
public sealed record KernelListEntry(KernelGeneration Generation, KernelRecord? Record, CacheDecision Decision);

/// <summary>
/// Fetched kernels in STATE/kernels/GEN/: apt/ (private apt lists and cache), root/ (the
/// image, modules, headers, kbuild and linux-source packages unpacked), toolchain/ (the
/// kernel's compiler, when this machine lacks it), src/ (tun.c and checkpatch read out of
/// the tarball) and kernel.json (written last).
/// </summary>
public sealed class KernelStore(string stateDir)
{
    /// <summary>Files read out of the linux-source tarball into src/.</summary>
    public static readonly string[] SourceSubset =
    [
        TunSource.TreePath, "drivers/net/" + TunSource.VnetHeaderName,
        "scripts/checkpatch.pl", "scripts/spelling.txt", "scripts/const_structs.checkpatch",
    ];

    /// <summary>The state dir, checked and created by the rule of <see cref="StateDirectory"/>.</summary>
    public string StateDir { get; } = StateDirectory.Secure(stateDir);

    public string DirOf(KernelGeneration g) => Path.Combine(StateDir, "kernels", g.Name);
    /// <summary>The partial source tree (tun.c, checkpatch) that `generate --kernel` reads.</summary>
    public string SourceDirOf(KernelGeneration g) => Path.Combine(DirOf(g), "src");
    public string RecordPath(KernelGeneration g) => Path.Combine(DirOf(g), KernelRecord.FileName);

    public KernelRecord? Load(KernelGeneration g) =>
        File.Exists(RecordPath(g)) ? KernelRecord.FromJson(File.ReadAllText(RecordPath(g))) : null;

    /// <summary>Pure: fetch unless a current-format record exists whose paths all exist.</summary>
    public static CacheDecision Decide(KernelRecord? record, Func<string, bool> exists)
    {
        if (record is null) return new(true, "not fetched");
        if (record.Format != KernelRecord.CurrentFormat)
            return new(true, $"{KernelRecord.FileName} has format {record.Format}, this kmb writes {KernelRecord.CurrentFormat}");
        var missing = record.RequiredPaths.FirstOrDefault(p => !exists(p));
        return missing is null ? CacheDecision.Cached(record) : new(true, $"incomplete: {missing} is missing");
    }

    /// <summary>Pure: whether the archive's current packages are the ones recorded (for --refresh).</summary>
    public static bool IsCurrent(KernelRecord record, KernelPackageSet archive) =>
        archive.All.All(p => record.Packages.Any(r => r.Name == p.Name && r.Version == p.Version));

    public CacheDecision Decide(KernelGeneration g) => Decide(Load(g), p => File.Exists(p) || Directory.Exists(p));

    public IReadOnlyList<KernelListEntry> List() =>
        KernelGeneration.All.Select(g => (g, r: Load(g))).Select(x => new KernelListEntry(x.g, x.r,
            Decide(x.r, p => File.Exists(p) || Directory.Exists(p)))).ToList();

    /// <summary>The fetched record of <paramref name="g"/>, fetching it first when it is not cached.</summary>
    public async Task<KernelRecord> EnsureAsync(KernelGeneration g, Action<string> progress, CancellationToken ct)
    {
        var decision = Decide(g);
        if (!decision.Fetch) return Load(g)!;
        progress($"Linux {g.Name} is not fetched yet ({decision.Reason}); fetching it from {g.Distribution} first");
        return (await FetchAsync(g, refresh: false, progress, ct)).Record;
    }

    /// <summary>
    /// Fetches and unpacks <paramref name="g"/> unless it is cached (a no-op then). With
    /// <paramref name="refresh"/>, the private lists are updated and a newer kernel in the archive is fetched.
    /// </summary>
    public async Task<(KernelRecord Record, bool Fetched)> FetchAsync(KernelGeneration g, bool refresh, Action<string> progress, CancellationToken ct)
    {
        var dir = DirOf(g);
        Directory.CreateDirectory(dir);
        using var fetchLock = await LockAsync(Path.Combine(dir, ".fetch.lock"), g, progress, ct);
        var cached = Decide(g);
        if (!cached.Fetch && !refresh)
            return (Load(g)!, false);

        var clock = Stopwatch.StartNew();
        var apt = new PrivateApt(Path.Combine(dir, "apt"), g);
        await StepTimer.TimeAsync(progress, $"apt-get update ({string.Join(", ", g.Suites.Select(s => s.Suite))}, private lists in {apt.Root})",
            async () => { await apt.UpdateAsync(progress, ct); return 0; });
        var set = await KernelPackageSet.ResolveAsync(g, p => apt.ShowAsync(p, ct));
        progress($"Linux {g.Name}: {set.Release} ({set.Image.Version}), built with {set.Compiler}");
        if (!cached.Fetch && refresh && IsCurrent(Load(g)!, set))
        {
            progress($"Linux {g.Name} is up to date ({set.Release} {set.Image.Version})");
            apt.DropBinaryCache();
            return (Load(g)!, false);
        }

        // The kernel's own compiler: from PATH when this machine has it, else fetched the same private way.
        var hostCompiler = Which(set.Compiler);
        var toolchain = new List<AptPackage>();
        if (hostCompiler is null)
        {
            foreach (var name in KernelPackageSet.ToolchainPackages(set.Compiler))
                toolchain.Add((await apt.ShowAsync(name, ct) ?? throw new KmbException(
                    $"{set.Compiler} is not installed here and {g.Distribution}'s lists have no {name} to fetch it from", 1)).ToPackage());
            progress($"{set.Compiler} (the compiler of Linux {g.Name}) is not on this machine: fetching it privately into {Path.Combine(dir, "toolchain")}");
        }
        else
        {
            progress($"{set.Compiler} (the compiler of Linux {g.Name}) is on this machine: {hostCompiler}");
        }

        var debs = Path.Combine(dir, "debs");
        Directory.CreateDirectory(debs);
        foreach (var old in Directory.GetFiles(debs, "*.deb").Where(f => !set.All.Concat(toolchain).Any(p => p.FileName == Path.GetFileName(f))))
            File.Delete(old);
        var wanted = set.All.Concat(toolchain).ToList();
        var total = wanted.Sum(p => p.Size);
        long done = 0;
        foreach (var p in wanted)
        {
            var file = Path.Combine(debs, p.FileName);
            if (File.Exists(file) && new FileInfo(file).Length == p.Size)
                progress($"  have {p.FileName}");
            else
            {
                var t = Stopwatch.StartNew();
                progress($"downloading {p.Name} {p.Version} ({Mb(p.Size)}; {Mb(done)} of {Mb(total)} done) ...");
                await apt.DownloadAsync(p, debs, progress, ct);
                progress($"  {p.FileName}: {Mb(p.Size)} in {t.Elapsed.TotalSeconds:F1} s");
            }
            done += p.Size;
        }

        var root = Path.Combine(dir, "root");
        var toolRoot = Path.Combine(dir, "toolchain");
        var src = SourceDirOf(g);
        foreach (var d in new[] { root, toolRoot, src })
            if (Directory.Exists(d)) Directory.Delete(d, recursive: true);
        await StepTimer.TimeAsync(progress, $"unpacking {set.All.Count + toolchain.Count} packages (dpkg-deb -x)", async () =>
        {
            foreach (var p in set.All) await UnpackAsync(Path.Combine(debs, p.FileName), root, ct);
            foreach (var p in toolchain) await UnpackAsync(Path.Combine(debs, p.FileName), toolRoot, ct);
            return 0;
        });
        UnpackedTree.RelocateSymlinks(root);
        if (Directory.Exists(toolRoot)) UnpackedTree.RelocateSymlinks(toolRoot);

        var headersDir = Path.Combine(root, "usr", "src", "linux-headers-" + set.Release);
        if (!File.Exists(Path.Combine(headersDir, "Makefile")))
            throw new KmbException($"{set.Headers.Name} unpacked no {headersDir}/Makefile: unexpected package layout", 1);
        UnpackedTree.RelocateHeaders(headersDir, root);
        var compilerCommand = hostCompiler ?? Path.Combine(toolRoot, "usr", "bin", set.Compiler);
        var variables = Path.Combine(headersDir, ".kernelvariables");
        if (hostCompiler is null)
            File.WriteAllText(variables, UnpackedTree.PinCompiler(File.Exists(variables) ? File.ReadAllText(variables) : "", set.Compiler, compilerCommand));
        var compilerVersion = await CompilerVersionAsync(compilerCommand, ct);
        var dotConfig = Path.Combine(headersDir, ".config");
        var kernelCompiler = File.Exists(dotConfig) ? UnpackedTree.KernelCompiler(File.ReadAllText(dotConfig)) : null;
        progress($"modules for {set.Release} build with {compilerVersion} (the kernel: {kernelCompiler ?? "unknown"})");
        if (File.Exists(dotConfig) && File.ReadAllText(dotConfig).Contains("\nCONFIG_DEBUG_INFO_BTF_MODULES=y", StringComparison.Ordinal) &&
            File.Exists(Path.Combine(headersDir, "vmlinux")) && Which("pahole") is null)
            progress($"note: modules for {set.Release} carry BTF, which kbuild makes with pahole: install it (apt-get install dwarves) or module builds fail");

        var tarball = Path.Combine(root, "usr", "src", $"linux-source-{g.Name}.tar.xz");
        if (!File.Exists(tarball))
            throw new KmbException($"{set.Source.Name} unpacked no {tarball}: unexpected package layout", 1);
        var members = await StepTimer.TimeAsync(progress, $"reading tun.c and checkpatch out of {Path.GetFileName(tarball)} ({Mb(new FileInfo(tarball).Length)})",
            () => TarballReader.ExtractAsync(tarball, SourceSubset, ct));
        if (!members.ContainsKey(TunSource.TreePath))
            throw new KmbException($"{tarball} holds no {TunSource.TreePath}", 1);
        foreach (var (path, text) in members)
        {
            var target = Path.Combine(src, path);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            await File.WriteAllTextAsync(target, text, ct);
        }

        var modules = new[] { Path.Combine(root, "lib", "modules", set.Release), Path.Combine(root, "usr", "lib", "modules", set.Release) }
            .FirstOrDefault(Directory.Exists) ?? throw new KmbException($"{set.Image.Name} unpacked no lib/modules/{set.Release}", 1);
        var vmlinuz = Path.Combine(root, "boot", "vmlinuz-" + set.Release);
        Directory.Delete(debs, recursive: true);
        apt.DropBinaryCache();
        var record = new KernelRecord(KernelRecord.CurrentFormat, g.Name, g.Distribution, set.Release,
            [.. set.All.Concat(toolchain).Select(p => new KernelRecordPackage(p.Name, p.Version, p.Size))],
            set.Compiler, compilerCommand, hostCompiler is null, compilerVersion, kernelCompiler,
            vmlinuz, modules, headersDir, tarball, src, DiskBytes(dir), Math.Round(clock.Elapsed.TotalSeconds, 1), DateTimeOffset.UtcNow);
        var missing = Decide(record, p => File.Exists(p) || Directory.Exists(p));
        if (missing.Fetch)
            throw new KmbException($"fetching Linux {g.Name} left it {missing.Reason}", 1);
        var tmp = RecordPath(g) + ".tmp";
        await File.WriteAllTextAsync(tmp, record.ToJson(), ct);
        File.Move(tmp, RecordPath(g), overwrite: true);
        progress($"Linux {g.Name} fetched in {clock.Elapsed.TotalSeconds:F1} s: {Mb(record.DiskBytes)} in {dir}");
        return (record, true);
    }

    /// <summary>The fetched record, or exit 2 telling how to fetch it.</summary>
    public KernelRecord Require(KernelGeneration g)
    {
        var decision = Decide(g);
        if (decision.Fetch)
            throw new KmbException($"Linux {g.Name} is not ready in {DirOf(g)} ({decision.Reason}): run `kmb kernel fetch {g.Name}`");
        return Load(g)!;
    }

    public static string Mb(long bytes) => $"{bytes / 1e6:F1} MB";

    /// <summary>Bytes of the regular files under <paramref name="dir"/>; symlinks (to files or directories) are not followed.</summary>
    public static long DiskBytes(string dir)
    {
        long total = 0;
        var pending = new Stack<DirectoryInfo>([new DirectoryInfo(dir)]);
        while (pending.Count > 0)
            foreach (var entry in pending.Pop().EnumerateFileSystemInfos("*", new EnumerationOptions { AttributesToSkip = 0 }))
            {
                if (entry.LinkTarget is not null) continue;
                if (entry is DirectoryInfo d) pending.Push(d);
                else total += ((FileInfo)entry).Length;
            }
        return total;
    }

    private static async Task UnpackAsync(string deb, string into, CancellationToken ct)
    {
        Directory.CreateDirectory(into);
        var r = await Cli.Wrap("dpkg-deb").WithArguments(["-x", deb, into])
            .WithValidation(CommandResultValidation.None).ExecuteBufferedAsync(ct);
        if (r.ExitCode != 0)
            throw new KmbException($"dpkg-deb -x {deb} failed: {r.StandardError.Trim()}", 1);
    }

    private static string? Which(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, program)).FirstOrDefault(File.Exists);

    private static async Task<string> CompilerVersionAsync(string compiler, CancellationToken ct)
    {
        try
        {
            var r = await Cli.Wrap(compiler).WithArguments(["--version"]).WithValidation(CommandResultValidation.None).ExecuteBufferedAsync(ct);
            if (r.ExitCode == 0) return r.StandardOutput.Split('\n')[0].Trim();
            throw new KmbException($"{compiler} --version failed (exit {r.ExitCode}): {r.StandardError.Trim()}", 1);
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new KmbException($"{compiler} does not run here: {e.Message}", 1);
        }
    }

    private static async Task<FileStream> LockAsync(string path, KernelGeneration g, Action<string> progress, CancellationToken ct)
    {
        var told = false;
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException)
            {
                if (!told) progress($"another kmb is fetching Linux {g.Name}; waiting for it");
                told = true;
                await Task.Delay(1000, ct);
            }
        }
    }
}
