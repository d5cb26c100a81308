using System.Globalization;
using KmodBalance.Generator.Build;
using KmodBalance.Generator.Source;

namespace KmodBalance.Harness.Lab;

/// <summary>
/// How one lab command gets the module of each policy it tests: generated with the command's
/// <see cref="Tunables"/> (--threshold, --period-ms) and built for <see cref="Kernel"/> into the state dir,
/// every policy from the kernel's tun.c read once (<see cref="Sources"/>); or, with --backend ebpf, the
/// kernel's own tun.ko with kmbsteer attached with the same tunables.
/// </summary>
public sealed record LabModules(InstalledKernel Kernel, string StateDir, LabBackend Backend, Tunables Tunables)
{
    /// <summary>One per command, shared by every policy it builds.</summary>
    public TunSourceCache Sources { get; } = new();

    /// <summary>The cache directory's name under STATE/modules: everything that changes the module is in it, so
    /// another kernel or other tunables build another module instead of replacing the one a later run would
    /// reuse (and the image cache keyed by tun.ko's bytes keeps hitting).</summary>
    /// <remarks>Pure. The tunables are in the name only for the policies that have them (dynamic, adaptive).</remarks>
    public static string CacheName(Policy policy, InstalledKernel kernel, Tunables tunables)
    {
        // A fetched kernel's module lives apart: kbuild's up-to-date check looks at tun.c, not at the headers.
        var name = kernel.SourceTree is null ? policy.Name() : $"{policy.Name()}-{kernel.Release}";
        return policy.Remaps()
            ? string.Create(CultureInfo.InvariantCulture, $"{name}-threshold{tunables.Threshold}-period{tunables.PeriodMs}ms")
            : name;
    }
}
