using KmodBalance.Generator.Output;

namespace KmodBalance.Generator.Build;

/// <summary>A directory from `kmb generate` + `kmb build`, checked before a lab verb boots anything with it.</summary>
public static class BuiltModule
{
    /// <param name="tunables">The tunables the verb was given: a module of a remapping policy must have been generated
    /// with them (its parameters' defaults), as it must with the policy, so the report never states other values than ran.</param>
    /// <returns>The full path of its tun.ko.</returns>
    /// <exception cref="KmbException">Exit 2: not a kmb output, generated for another policy or other tunables, or not built.</exception>
    public static string Verify(string moduleDir, Policy policy, Tunables tunables)
    {
        if (!Directory.Exists(moduleDir))
            throw new KmbException($"--module {moduleDir}: no such directory; give a directory written by `kmb generate` and `kmb build`");
        var manifest = Manifest.Read(moduleDir);
        if (!string.Equals(manifest.Policy, policy.Name(), StringComparison.OrdinalIgnoreCase))
            throw new KmbException($"--module {moduleDir} holds the {manifest.Policy} policy (its {Manifest.FileName}), " +
                $"not --policy {policy.Name()}: give the matching --policy, or generate and build {policy.Name()} into another directory");
        if (manifest.Tunables is { } t && (t.ThresholdPackets, t.PeriodMs) != (tunables.Threshold, tunables.PeriodMs))
            throw new KmbException($"--module {moduleDir} was generated with --threshold {t.ThresholdPackets} --period-ms {t.PeriodMs} " +
                $"(its {Manifest.FileName}), not --threshold {tunables.Threshold} --period-ms {tunables.PeriodMs}: give its values, " +
                "or drop --module to build the policy with yours");
        var module = Path.GetFullPath(Path.Combine(moduleDir, KbuildArtefacts.Module));
        if (!File.Exists(module))
            throw new KmbException($"--module {moduleDir} has no {KbuildArtefacts.Module} (not built, or its last build failed): run `./kmb build {moduleDir}`");
        return module;
    }
}
