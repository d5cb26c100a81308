using System.Collections.Concurrent;
using CliWrap;
using CliWrap.Buffered;
using KmodBalance.Generator.Rendering;

namespace KmodBalance.Generator.UserSpace;

/// <summary>
/// Compiles the rendered balancer core of a flow-table policy (<see cref="TemplateRenderer.Core"/>:
/// dynamic's or adaptive's) with kmod/userspace's kernel shim and driver into a user-space
/// program, once per flavor, policy and process. Sources and binaries live in a temporary directory that is removed
/// when the process exits.
/// </summary>
public static class UserSpaceBuild
{
    /// <summary>The files of kmod/userspace, as embedded in this assembly.</summary>
    public static readonly IReadOnlyList<string> SourceFiles = ["kernel_shim.h", "balance_driver.c", "automq_model.c"];

    /// <summary>What the driver #includes as the core.</summary>
    public const string CoreFileName = "balancer_core.c";

    private static readonly TimeSpan CompileTimeout = TimeSpan.FromMinutes(3);
    private static readonly ConcurrentDictionary<string, Lazy<Task<UserSpaceBinary>>> Cache = new();
    private static readonly Lazy<string> Directory = new(CreateDirectory);

    /// <summary>The driver built with <paramref name="flavor"/> for dynamic's core; compiled on first use.</summary>
    public static Task<UserSpaceBinary> GetAsync(UserSpaceFlavor flavor, CancellationToken ct = default) =>
        GetAsync(flavor, Policy.Dynamic, ct);

    /// <summary>The driver built with <paramref name="flavor"/> for <paramref name="policy"/>'s core; compiled on first use.</summary>
    public static Task<UserSpaceBinary> GetAsync(UserSpaceFlavor flavor, Policy policy, CancellationToken ct = default)
    {
        if (!policy.Remaps())
            throw new ArgumentOutOfRangeException(nameof(policy), policy, "only dynamic and adaptive have a balancer core");
        var key = $"{flavor.Name}-{policy.Name()}";
        var lazy = Cache.GetOrAdd(key, _ => new Lazy<Task<UserSpaceBinary>>(() => CompileAsync(flavor, policy, key)));
        var task = lazy.Value;
        if (task.IsFaulted || task.IsCanceled)
        {
            // a failed compile is not cached: the next caller tries again
            Cache.TryRemove(KeyValuePair.Create(key, lazy));
        }
        return task.WaitAsync(ct);
    }

    /// <summary>The text of a file of kmod/userspace.</summary>
    public static string ReadSource(string name)
    {
        using var stream = typeof(UserSpaceBuild).Assembly.GetManifestResourceStream("kmod/userspace/" + name)
            ?? throw new InvalidOperationException($"kmod/userspace/{name} is not embedded in the generator");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    private static async Task<UserSpaceBinary> CompileAsync(UserSpaceFlavor flavor, Policy policy, string key)
    {
        var dir = Path.Combine(Directory.Value, key);
        System.IO.Directory.CreateDirectory(dir);
        foreach (var name in SourceFiles)
            await File.WriteAllTextAsync(Path.Combine(dir, name), ReadSource(name));
        await File.WriteAllTextAsync(Path.Combine(dir, CoreFileName), TemplateRenderer.Core(policy));

        var output = Path.Combine(dir, "balance_driver");
        // adaptive's core reads tun's rings and flow table, which the driver then plays
        string[] define = policy == Policy.Adaptive ? ["-DKMB_ADAPTIVE"] : [];
        string[] args = [.. UserSpaceFlavor.CommonFlags, .. flavor.Flags, .. define, "-o", output, "balance_driver.c"];
        using var timeout = new CancellationTokenSource(CompileTimeout);
        BufferedCommandResult gcc;
        try
        {
            gcc = await Cli.Wrap("gcc").WithArguments(args).WithWorkingDirectory(dir)
                .WithValidation(CommandResultValidation.None)
                .ExecuteBufferedAsync(timeout.Token);
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new KmbException($"cannot run gcc ({e.Message}): install it (apt-get install gcc)", 1);
        }
        if (gcc.ExitCode != 0)
            throw new KmbException(
                $"gcc {string.Join(' ', args)} failed in {dir} (exit {gcc.ExitCode}): the balancer core or the shim " +
                $"does not build in user space:\n{(gcc.StandardOutput + gcc.StandardError).TrimEnd()}", 1);
        return new UserSpaceBinary(output, flavor);
    }

    private static string CreateDirectory()
    {
        var dir = System.IO.Directory.CreateTempSubdirectory("kmb-userspace-").FullName;
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try
            {
                System.IO.Directory.Delete(dir, recursive: true);
            }
            catch (IOException)
            {
                // a driver still running holds nothing open that matters; leave the rest
            }
            catch (UnauthorizedAccessException)
            {
            }
        };
        return dir;
    }
}
