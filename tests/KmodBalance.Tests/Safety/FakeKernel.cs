namespace KmodBalance.Tests.Safety;

/// <summary>A stand-in for a kernel build tree: its Makefile plays kbuild (no compiler, no headers), so
/// `kmb build`'s own behaviour around kbuild is tested in milliseconds.</summary>
public static class FakeKernel
{
    public const string Release = "6.1.0-0-fake";

    /// <param name="makeExit">What `make modules` exits with.</param>
    /// <param name="log">When given, each make appends "start" and, after <paramref name="seconds"/>, "end".</param>
    /// <returns>The directory to give as --kdir.</returns>
    public static string Create(string dir, int makeExit, string? log = null, int seconds = 0)
    {
        Directory.CreateDirectory(Path.Combine(dir, "include", "generated"));
        File.WriteAllText(Path.Combine(dir, "include", "generated", "utsrelease.h"), $"#define UTS_RELEASE \"{Release}\"\n");
        var record = log is null ? "" : $"\techo start >> '{log}'; sleep {seconds}; echo end >> '{log}'\n";
        File.WriteAllText(Path.Combine(dir, "Makefile"), $"modules:\n{record}\texit {makeExit}\n");
        return dir;
    }
}
