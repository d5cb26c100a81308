using System.Text.RegularExpressions;

namespace KmodBalance.Generator.Kernels;

/// <summary>
/// Makes Debian kernel packages unpacked with `dpkg-deb -x` under a private root usable in
/// place: their absolute symlinks (lib/modules/R/build -> /usr/src/linux-headers-R) and the
/// headers' `include /usr/src/linux-headers-...-common/Makefile` are pointed into the root,
/// and the headers' compiler (.kernelvariables: CC = ... gcc-N) can be pinned to a private one.
/// After this, `make -C ROOT/usr/src/linux-headers-R M=DIR modules` works for anyone.
/// </summary>
public static partial class UnpackedTree
{
    /// <summary>Pure: the headers Makefile with its absolute /usr/src includes moved under <paramref name="root"/>.</summary>
    public static string RelocateMakefile(string text, string root)
    {
        var prefix = Path.TrimEndingDirectorySeparator(Path.GetFullPath(root));
        return IncludeOfUsr().Replace(text, m => m.Groups[1].Value + prefix + m.Groups[2].Value);
    }

    /// <summary>
    /// Pure: .kernelvariables with `$(CROSS_COMPILE)gcc-N` replaced by <paramref name="compilerPath"/>;
    /// when that shape is absent, a CC assignment is appended.
    /// </summary>
    public static string PinCompiler(string kernelVariables, string compiler, string compilerPath)
    {
        var token = "$(CROSS_COMPILE)" + compiler;
        if (kernelVariables.Contains(token, StringComparison.Ordinal))
            return kernelVariables.Replace(token, compilerPath, StringComparison.Ordinal);
        return kernelVariables.TrimEnd('\n') + (kernelVariables.Length > 0 ? "\n" : "") + $"CC = {compilerPath}\n";
    }

    /// <summary>Pure: CONFIG_CC_VERSION_TEXT of a .config (the compiler the kernel was built with), or null.</summary>
    public static string? KernelCompiler(string dotConfig)
    {
        var m = CcVersionText().Match(dotConfig);
        return m.Success ? m.Groups[1].Value : null;
    }

    /// <summary>Pure: where an absolute link target <paramref name="target"/> found at <paramref name="linkPath"/> points inside <paramref name="root"/>, as a relative target.</summary>
    public static string RelocatedTarget(string root, string linkPath, string target)
    {
        var inside = Path.Combine(Path.GetFullPath(root), target.TrimStart('/'));
        return Path.GetRelativePath(Path.GetDirectoryName(Path.GetFullPath(linkPath))!, inside);
    }

    /// <summary>Re-points every absolute symlink under <paramref name="root"/> into the root; returns how many.</summary>
    public static int RelocateSymlinks(string root)
    {
        var count = 0;
        var pending = new Stack<string>([Path.GetFullPath(root)]);
        while (pending.Count > 0)
        {
            var dir = pending.Pop();
            foreach (var entry in new DirectoryInfo(dir).EnumerateFileSystemInfos())
            {
                if (entry.LinkTarget is { } target)
                {
                    if (!target.StartsWith('/')) continue;
                    var relocated = RelocatedTarget(root, entry.FullName, target);
                    entry.Delete();
                    File.CreateSymbolicLink(entry.FullName, relocated);
                    count++;
                }
                else if (entry is DirectoryInfo)
                {
                    pending.Push(entry.FullName);
                }
            }
        }
        return count;
    }

    /// <summary>Rewrites the Makefile of an arch headers tree in place (see <see cref="RelocateMakefile"/>).</summary>
    public static void RelocateHeaders(string headersDir, string root)
    {
        var makefile = Path.Combine(headersDir, "Makefile");
        File.WriteAllText(makefile, RelocateMakefile(File.ReadAllText(makefile), root));
    }

    // "include /usr/src/linux-headers-5.10.0-46-common/Makefile" (also -include / sinclude).
    [GeneratedRegex(@"(^\s*-?s?include\s+)(/usr/(?:src|lib)/)", RegexOptions.Multiline)]
    private static partial Regex IncludeOfUsr();

    [GeneratedRegex("^CONFIG_CC_VERSION_TEXT=\"([^\"]*)\"", RegexOptions.Multiline)]
    private static partial Regex CcVersionText();
}
