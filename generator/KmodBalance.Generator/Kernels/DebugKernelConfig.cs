namespace KmodBalance.Generator.Kernels;

/// <summary>
/// What the lab's debug kernel is: Linux 6.1 from the installed linux-source tarball,
/// x86_64_defconfig with kmod/debug-kernel/debug.config merged on top: what L1 needs
/// (virtio, an initramfs root, tun as a module, netconsole, the BPF syscall, KVM for a
/// nested guest) and the sanitisers that catch what the production kernel lets pass.
/// </summary>
public static class DebugKernelConfig
{
    /// <summary>The options that make it a debug kernel; the reports name them.</summary>
    public static readonly IReadOnlyList<string> DebugOptions =
    [
        "KASAN", "PROVE_LOCKING", "PROVE_RCU", "DEBUG_ATOMIC_SLEEP", "DEBUG_OBJECTS_TIMERS",
        "DEBUG_OBJECTS_RCU_HEAD", "DEBUG_LIST", "DEBUG_KMEMLEAK", "UBSAN", "UBSAN_BOUNDS",
    ];

    /// <summary>What the lab needs of it besides the debug options, with the value it needs.</summary>
    public static readonly IReadOnlyList<(string Option, string Value)> LabOptions =
    [
        ("BLK_DEV_INITRD", "y"), ("VIRTIO_PCI", "y"), ("VIRTIO_NET", "y"), ("TUN", "m"),
        ("NETCONSOLE", "m"), ("CONFIGFS_FS", "y"), ("BPF_SYSCALL", "y"), ("DEBUG_FS", "y"),
        ("MODULE_UNLOAD", "y"), ("RPS", "y"), ("DEVTMPFS", "y"),
    ];

    public const string FragmentResource = "kmod/debug-kernel/debug.config";

    /// <summary>The config fragment, as embedded from kmod/debug-kernel/debug.config.</summary>
    public static string Fragment
    {
        get
        {
            using var stream = typeof(DebugKernelConfig).Assembly.GetManifestResourceStream(FragmentResource)
                ?? throw new InvalidOperationException($"{FragmentResource} is not embedded in the generator");
            using var reader = new StreamReader(stream);
            return reader.ReadToEnd();
        }
    }

    /// <summary>
    /// Pure: the required options a .config lacks, as "CONFIG_X=v (have: ...)": olddefconfig
    /// silently drops an option whose dependencies are off, so the result is checked, not trusted.
    /// </summary>
    public static IReadOnlyList<string> Missing(string dotConfig)
    {
        var values = Values(dotConfig);
        return DebugOptions.Select(o => (Option: o, Value: "y")).Concat(LabOptions)
            .Where(r => values.GetValueOrDefault(r.Option) != r.Value)
            .Select(r => $"CONFIG_{r.Option}={r.Value} (have: {(values.TryGetValue(r.Option, out var v) ? v : "unset")})")
            .ToList();
    }

    /// <summary>Pure: the debug options as the .config has them ("KASAN=y", ...), for reports.</summary>
    public static IReadOnlyList<string> Enabled(string dotConfig)
    {
        var values = Values(dotConfig);
        return DebugOptions.Where(o => values.GetValueOrDefault(o) == "y").ToList();
    }

    /// <summary>Pure: CONFIG_X=value lines of a .config, without the CONFIG_ prefix.</summary>
    public static IReadOnlyDictionary<string, string> Values(string dotConfig)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var raw in dotConfig.Split('\n'))
        {
            var line = raw.Trim();
            if (!line.StartsWith("CONFIG_", StringComparison.Ordinal)) continue;
            var eq = line.IndexOf('=');
            if (eq > 0) values[line["CONFIG_".Length..eq]] = line[(eq + 1)..];
        }
        return values;
    }
}
