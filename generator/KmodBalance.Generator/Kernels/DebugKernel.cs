using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using CliWrap;
using CliWrap.Buffered;

namespace KmodBalance.Generator.Kernels;

/// <summary>debug.json beside kernel.json: what the debug kernel was built from and how long it took.</summary>
/// <param name="Key">Hash of the source tarball, the config fragment and the compiler: a change to any rebuilds.</param>
/// <param name="Objects">Objects compiled by the last full build: the next build's progress estimate.</param>
/// <param name="Resumed">The build went on from an interrupted one: <paramref name="BuildSeconds"/> is only its last part.</param>
public sealed record DebugKernelInfo(
    int Format, string Key, string SourceTarball, string SourceVersion, string Compiler, string Release,
    IReadOnlyList<string> DebugOptions, int Objects, double BuildSeconds, bool Resumed, DateTimeOffset BuiltAt)
{
    public const int CurrentFormat = 1;
    public const string FileName = "debug.json";

    private static readonly JsonSerializerOptions Options = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    public string ToJson() => JsonSerializer.Serialize(this, Options) + "\n";

    public static DebugKernelInfo? FromJson(string json)
    {
        try
        {
            return JsonSerializer.Deserialize<DebugKernelInfo>(json, Options);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

/// <summary>
/// The lab's debug kernel, built on first use from the installed linux-source-6.1 and
/// cached in STATE/kernels/debug/: linux-source-6.1/ (the configured, built tree: module
/// builds use it as their headers), root/ (vmlinuz and the installed modules),
/// kernel.json (the same record a fetched generation has, so the lab boots it as any
/// other kernel) and debug.json. An interrupted build resumes where make stopped.
/// </summary>
public sealed class DebugKernel(string stateDir)
{
    public const string Name = "debug";
    public const string SourceTarball = "/usr/src/linux-source-6.1.tar.xz";
    private const string TreeName = "linux-source-6.1";

    /// <summary>Objects this config compiles (2,305 for 6.1.192, measured here): the ETA of a first build.</summary>
    private const int DefaultObjects = 2300;

    public string Dir { get; } = Path.Combine(Path.GetFullPath(stateDir), "kernels", Name);
    public string Tree => Path.Combine(Dir, TreeName);
    private string Root => Path.Combine(Dir, "root");
    private string RecordPath => Path.Combine(Dir, KernelRecord.FileName);
    private string InfoPath => Path.Combine(Dir, DebugKernelInfo.FileName);
    private string TreeKeyPath => Path.Combine(Tree, ".kmb-key");

    public KernelRecord? LoadRecord() => File.Exists(RecordPath) ? KernelRecord.FromJson(File.ReadAllText(RecordPath)) : null;
    public DebugKernelInfo? LoadInfo() => File.Exists(InfoPath) ? DebugKernelInfo.FromJson(File.ReadAllText(InfoPath)) : null;

    /// <summary>The built kernel; builds it first (about half an hour on 2 cores) unless cached with the current key.</summary>
    public async Task<(KernelRecord Record, DebugKernelInfo Info)> EnsureAsync(Action<string> progress, CancellationToken ct)
    {
        if (!File.Exists(SourceTarball))
            throw new KmbException($"the debug kernel is built from {SourceTarball}, which is missing: apt-get install linux-source-6.1 (or run setup/install-deps.sh)");
        var compiler = await FirstLineAsync("gcc", ["--version"], ct);
        var key = Key(await HashFileAsync(SourceTarball, ct), DebugKernelConfig.Fragment, compiler);
        var cached = Cached(key);
        if (cached is not null) return cached.Value;

        Directory.CreateDirectory(Dir);
        using var buildLock = await LockAsync(progress, ct);
        cached = Cached(key);
        if (cached is not null) return cached.Value;

        var clock = Stopwatch.StartNew();
        var previous = LoadInfo();
        File.Delete(RecordPath);
        File.Delete(InfoPath);
        var resumed = File.Exists(TreeKeyPath) && File.ReadAllText(TreeKeyPath).Trim() == key;
        if (resumed)
            progress($"resuming the debug kernel build in {Tree}");
        else
            await PrepareTreeAsync(key, progress, ct);

        var expected = previous?.Objects ?? DefaultObjects;
        var compiled = await MakeAsync(expected, progress, ct);
        // a resumed build compiled only the rest: the estimate for the next build stays what it was
        var objects = resumed ? expected : compiled;
        if (Directory.Exists(Root)) Directory.Delete(Root, recursive: true);
        await RunAsync("make", ["-s", "modules_install", $"INSTALL_MOD_PATH={Root}", "INSTALL_MOD_STRIP=1"], ct);
        var release = await FirstLineAsync("make", ["-s", "kernelrelease"], ct, Tree);
        var vmlinuz = Path.Combine(Root, "boot", "vmlinuz-" + release);
        Directory.CreateDirectory(Path.GetDirectoryName(vmlinuz)!);
        File.Copy(Path.Combine(Tree, "arch", "x86", "boot", "bzImage"), vmlinuz, overwrite: true);

        var dotConfig = await File.ReadAllTextAsync(Path.Combine(Tree, ".config"), ct);
        var version = await SourceVersionAsync(ct);
        var record = new KernelRecord(KernelRecord.CurrentFormat, Name, "bookworm", release,
            [new KernelRecordPackage("linux-source-6.1", version, new FileInfo(SourceTarball).Length)],
            "gcc", "gcc", false, compiler, UnpackedTree.KernelCompiler(dotConfig),
            vmlinuz, Path.Combine(Root, "lib", "modules", release), Tree, SourceTarball, Tree,
            KernelStore.DiskBytes(Dir), Math.Round(clock.Elapsed.TotalSeconds, 1), DateTimeOffset.UtcNow);
        var missing = KernelStore.Decide(record, p => File.Exists(p) || Directory.Exists(p));
        if (missing.Fetch)
            throw new KmbException($"the debug kernel build left it {missing.Reason}", 1);
        var info = new DebugKernelInfo(DebugKernelInfo.CurrentFormat, key, SourceTarball, version, compiler, release,
            DebugKernelConfig.Enabled(dotConfig), objects, record.FetchSeconds, resumed, record.FetchedAt);
        await WriteAtomicAsync(RecordPath, record.ToJson(), ct);
        await WriteAtomicAsync(InfoPath, info.ToJson(), ct);
        progress($"debug kernel {release} {(resumed ? "finished (resumed)" : "built")} in {clock.Elapsed.TotalMinutes:F1} min ({compiled} objects compiled; {KernelStore.Mb(record.DiskBytes)} in {Dir}): " +
                 string.Join(", ", info.DebugOptions));
        return (record, info);
    }

    /// <summary>Pure: the cache key of a source (its sha256), a config fragment and a compiler.</summary>
    public static string Key(string sourceSha256, string fragment, string compiler) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{sourceSha256}\n{fragment}\n{compiler}")))[..16];

    private (KernelRecord, DebugKernelInfo)? Cached(string key)
    {
        var (record, info) = (LoadRecord(), LoadInfo());
        if (record is null || info is null || info.Format != DebugKernelInfo.CurrentFormat || info.Key != key) return null;
        return KernelStore.Decide(record, p => File.Exists(p) || Directory.Exists(p)).Fetch ? null : (record, info);
    }

    private async Task PrepareTreeAsync(string key, Action<string> progress, CancellationToken ct)
    {
        // Only ever kmb's own tree: it lives in the state dir's kernels/debug/.
        if (Directory.Exists(Tree)) Directory.Delete(Tree, recursive: true);
        await StepTimer.TimeAsync(progress, $"unpacking {SourceTarball} into {Dir}", async () =>
        {
            await RunAsync("tar", ["-xJf", SourceTarball, "-C", Dir, TreeName], ct, Dir);
            return 0;
        });
        var fragment = Path.Combine(Dir, "debug.config");
        await File.WriteAllTextAsync(fragment, DebugKernelConfig.Fragment, ct);
        await RunAsync("make", ["-s", "x86_64_defconfig"], ct);
        // By its full path: a relative program name is resolved against kmb's own directory, not the tree.
        await RunAsync("sh", [Path.Combine(Tree, "scripts", "kconfig", "merge_config.sh"), "-m", ".config", fragment], ct);
        await RunAsync("make", ["-s", "olddefconfig"], ct);
        var missing = DebugKernelConfig.Missing(await File.ReadAllTextAsync(Path.Combine(Tree, ".config"), ct));
        if (missing.Count > 0)
            throw new KmbException($"the debug kernel's config lost options its dependencies did not allow: {string.Join(", ", missing)}; " +
                                   "fix kmod/debug-kernel/debug.config", 1);
        await File.WriteAllTextAsync(TreeKeyPath, key + "\n", ct);
    }

    /// <summary>make bzImage modules, reporting objects compiled, the percentage and an ETA every 30 s.</summary>
    private async Task<int> MakeAsync(int expected, Action<string> progress, CancellationToken ct)
    {
        var jobs = Environment.ProcessorCount.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var estimate = new BuildEstimate(expected, Stopwatch.StartNew());
        var log = Path.Combine(Dir, "build.log");
        progress($"building the debug kernel (make -j{jobs} bzImage modules; log {log}): about {expected} objects, half an hour on 2 cores");
        await using var logFile = new StreamWriter(log, append: false);
        var gate = new object();
        var lastReport = TimeSpan.Zero;
        void Line(string line)
        {
            lock (gate)
            {
                logFile.WriteLine(line);
                if (!BuildEstimate.IsObject(line)) return;
                estimate.Compiled++;
                if (estimate.Clock.Elapsed - lastReport < TimeSpan.FromSeconds(30)) return;
                lastReport = estimate.Clock.Elapsed;
                progress(estimate.Describe());
            }
        }
        var result = await Cli.Wrap("make").WithArguments(["-j" + jobs, "bzImage", "modules"]).WithWorkingDirectory(Tree)
            .WithStandardOutputPipe(PipeTarget.ToDelegate(Line))
            .WithStandardErrorPipe(PipeTarget.ToDelegate(Line))
            .WithValidation(CommandResultValidation.None).ExecuteAsync(ct);
        if (result.ExitCode != 0)
            throw new KmbException($"the debug kernel build failed (make exit {result.ExitCode}); the last lines of {log} say why. " +
                                   "The next run resumes it", 1);
        progress($"compiled {estimate.Compiled} objects in {estimate.Clock.Elapsed.TotalMinutes:F1} min");
        return estimate.Compiled;
    }

    private async Task<FileStream> LockAsync(Action<string> progress, CancellationToken ct)
    {
        var told = false;
        while (true)
        {
            try
            {
                return new FileStream(Path.Combine(Dir, ".build.lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException)
            {
                if (!told) progress("another kmb is building the debug kernel; waiting for it");
                told = true;
                await Task.Delay(2000, ct);
            }
        }
    }

    private async Task RunAsync(string program, string[] args, CancellationToken ct, string? workingDir = null)
    {
        var r = await Cli.Wrap(program).WithArguments(args).WithWorkingDirectory(workingDir ?? Tree)
            .WithValidation(CommandResultValidation.None).ExecuteBufferedAsync(ct);
        if (r.ExitCode != 0)
            throw new KmbException($"{program} {string.Join(' ', args)} failed (exit {r.ExitCode}): {(r.StandardError + r.StandardOutput).Trim()}", 1);
    }

    private async Task<string> FirstLineAsync(string program, string[] args, CancellationToken ct, string? workingDir = null)
    {
        var r = await Cli.Wrap(program).WithArguments(args).WithWorkingDirectory(workingDir ?? Environment.CurrentDirectory)
            .WithValidation(CommandResultValidation.None).ExecuteBufferedAsync(ct);
        if (r.ExitCode != 0)
            throw new KmbException($"{program} {string.Join(' ', args)} failed (exit {r.ExitCode}): {r.StandardError.Trim()}", 1);
        return r.StandardOutput.Split('\n')[0].Trim();
    }

    private static async Task<string> SourceVersionAsync(CancellationToken ct)
    {
        var r = await Cli.Wrap("dpkg-query").WithArguments(["-W", "-f=${Version}", "linux-source-6.1"])
            .WithValidation(CommandResultValidation.None).ExecuteBufferedAsync(ct);
        return r.ExitCode == 0 && r.StandardOutput.Trim().Length > 0 ? r.StandardOutput.Trim() : "unknown";
    }

    private static async Task<string> HashFileAsync(string path, CancellationToken ct)
    {
        await using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, ct));
    }

    private static async Task WriteAtomicAsync(string path, string text, CancellationToken ct)
    {
        var tmp = path + ".tmp";
        await File.WriteAllTextAsync(tmp, text, ct);
        File.Move(tmp, path, overwrite: true);
    }
}

/// <summary>Progress of a kernel build from kbuild's quiet output: objects compiled of those expected.</summary>
public sealed class BuildEstimate(int expected, Stopwatch clock)
{
    public int Expected { get; } = Math.Max(1, expected);
    public Stopwatch Clock { get; } = clock;
    public int Compiled { get; set; }

    /// <summary>Pure: a kbuild line that stands for one compiled object ("  CC      x.o", "  CC [M]  x.o", "  AS      x.o").</summary>
    public static bool IsObject(string line) =>
        line.StartsWith("  CC ", StringComparison.Ordinal) || line.StartsWith("  AS ", StringComparison.Ordinal);

    /// <summary>Pure given the counters: "1234 of ~3400 objects (36%), 10.2 min so far, about 18 min left".</summary>
    public string Describe() => Describe(Compiled, Expected, Clock.Elapsed);

    public static string Describe(int compiled, int expected, TimeSpan elapsed)
    {
        var fraction = Math.Min(0.99, (double)compiled / Math.Max(1, expected));
        var left = fraction > 0 ? elapsed.TotalMinutes * (1 - fraction) / fraction : double.NaN;
        return $"debug kernel: {compiled} of ~{expected} objects ({fraction * 100:F0}%), {elapsed.TotalMinutes:F1} min so far" +
               (double.IsNaN(left) ? "" : $", about {Math.Ceiling(left):F0} min left");
    }
}
