namespace KmodBalance.Generator.Build;

/// <summary>
/// What kbuild writes into a module directory when it builds tun.ko (as seen with 6.1's kbuild:
/// objects, the module, its .mod files, symbol lists, and the hidden .cmd and .d dependency files).
/// `kmb build` removes them before building, so a failed build never leaves an older tun.ko behind,
/// and the output-directory rule counts them as written by kmb.
/// </summary>
public static class KbuildArtefacts
{
    public const string Module = "tun.ko";

    private static readonly HashSet<string> Names =
        [Module, "tun.o", "tun.mod", "tun.mod.c", "tun.mod.o", "tun.ko.unsigned", "modules.order", "Module.symvers",
         ".module-common.o", ".tmp_versions"];

    public static bool IsArtefact(string name) =>
        Names.Contains(name) || (name.StartsWith('.') && (name.EndsWith(".cmd", StringComparison.Ordinal) || name.EndsWith(".d", StringComparison.Ordinal)));

    /// <summary>Deletes every artefact in <paramref name="moduleDir"/>; nothing else is touched.</summary>
    public static void Remove(string moduleDir)
    {
        foreach (var entry in new DirectoryInfo(moduleDir).EnumerateFileSystemInfos())
        {
            if (!IsArtefact(entry.Name))
                continue;
            if (entry is DirectoryInfo dir)
                dir.Delete(recursive: true);
            else
                entry.Delete();
        }
    }
}
