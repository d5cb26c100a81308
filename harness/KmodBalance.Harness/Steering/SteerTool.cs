using System.Security.Cryptography;
using System.Text;
using CliWrap;
using CliWrap.Buffered;
using KmodBalance.Generator;
using KmodBalance.Generator.Rendering;
using KmodBalance.Generator.UserSpace;

namespace KmodBalance.Harness.Steering;

/// <summary>
/// Builds kmbsteer (kmod/ebpf, embedded in this assembly) once into STATE/steer/KEY16/: the steering
/// program with clang-14, its libbpf skeleton with bpftool, and the remapper linked statically with
/// the rendered balancer core and the kernel shim of kmod/userspace, the same core the module carries.
/// KEY hashes every input and the tools' versions, so a second build is a lookup.
/// </summary>
public static class SteerTool
{
    public const string BinaryName = "kmbsteer";

    /// <summary>The files of kmod/ebpf, as embedded in this assembly.</summary>
    public static readonly IReadOnlyList<string> SourceFiles =
        ["Makefile", "steer.h", "steer.bpf.c", "steer_mirror.h", "steer_mirror.c", "kmbsteer.c"];

    private static readonly string[] Tools = ["clang-14", "bpftool", "gcc"];
    private static readonly TimeSpan BuildTimeout = TimeSpan.FromMinutes(3);

    /// <returns>The path of the built kmbsteer.</returns>
    public static async Task<string> BuildAsync(string stateDir, IProgress<string> progress, CancellationToken ct)
    {
        var inputs = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var name in SourceFiles)
            inputs[name] = ReadSource(name);
        inputs["kernel_shim.h"] = UserSpaceBuild.ReadSource("kernel_shim.h");
        inputs[UserSpaceBuild.CoreFileName] = TemplateRenderer.BalancerCore();

        var versions = new StringBuilder();
        foreach (var tool in Tools)
            versions.Append(await VersionAsync(tool, ct)).Append('\n');
        var key = CacheKey(inputs, versions.ToString());
        var dir = Path.Combine(stateDir, "steer", key[..16]);
        var binary = Path.Combine(dir, BinaryName);
        if (File.Exists(binary))
            return binary;

        var temp = Directory.CreateDirectory(Path.Combine(stateDir, "steer", $".build-{Guid.NewGuid():N}")).FullName;
        try
        {
            foreach (var (name, text) in inputs)
                await File.WriteAllTextAsync(Path.Combine(temp, name), text, ct);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(BuildTimeout);
            var make = await Cli.Wrap("make").WithArguments(["-s", BinaryName]).WithWorkingDirectory(temp)
                .WithValidation(CommandResultValidation.None).ExecuteBufferedAsync(timeout.Token);
            if (make.ExitCode != 0)
                throw new KmbException($"building kmbsteer in {temp} failed (exit {make.ExitCode}):\n" +
                    (make.StandardOutput + make.StandardError).TrimEnd(), 1);
            try
            {
                Directory.Move(temp, dir);
            }
            catch (IOException) when (File.Exists(binary))
            {
                // a concurrent run built the same key first
            }
            progress.Report($"built kmbsteer -> {binary}");
            return binary;
        }
        finally
        {
            if (Directory.Exists(temp)) Directory.Delete(temp, true);
        }
    }

    /// <summary>A file of kmod/ebpf.</summary>
    public static string ReadSource(string name)
    {
        using var stream = typeof(SteerTool).Assembly.GetManifestResourceStream("kmod/ebpf/" + name)
            ?? throw new InvalidOperationException($"kmod/ebpf/{name} is not embedded in the harness");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    /// <summary>SHA-256 over every input (name and content) and the tools' version lines.</summary>
    public static string CacheKey(IReadOnlyDictionary<string, string> inputs, string toolVersions)
    {
        var sb = new StringBuilder("kmb-steer v1\n").Append(toolVersions);
        foreach (var (name, text) in inputs.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            sb.Append(name).Append(' ').Append(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)))).Append('\n');
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(sb.ToString())));
    }

    private static async Task<string> VersionAsync(string tool, CancellationToken ct)
    {
        try
        {
            var r = await Cli.Wrap(tool).WithArguments("--version").WithValidation(CommandResultValidation.None)
                .ExecuteBufferedAsync(ct);
            return r.StandardOutput.Split('\n')[0].Trim();
        }
        catch (System.ComponentModel.Win32Exception)
        {
            throw new KmbException($"{tool} not found: the eBPF back end needs clang-14, bpftool and libbpf-dev " +
                "(apt-get install clang-14 bpftool libbpf-dev, or run setup/install-deps.sh as root)");
        }
    }
}
