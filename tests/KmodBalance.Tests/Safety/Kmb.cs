using CliWrap.Buffered;
using KmodBalance.Tests.Support;

namespace KmodBalance.Tests.Safety;

/// <summary>The kmb CLI built beside the tests, run as a user would (exit code, stdout, stderr).</summary>
public static class Kmb
{
    public static string Dll => Path.Combine(AppContext.BaseDirectory, "kmb.dll");

    public static Task<BufferedCommandResult> RunAsync(params string[] args) => Processes.RunAsync("dotnet", [Dll, .. args]);

    public static Task<BufferedCommandResult> RunInAsync(string workDir, params string[] args) =>
        Processes.RunAsync("dotnet", [Dll, .. args], workDir);

    /// <summary>Generates <paramref name="policy"/> from a fixture into <paramref name="outDir"/>; throws if that fails.</summary>
    public static async Task GenerateFixtureAsync(string outDir, string policy = "dynamic")
    {
        var run = await RunAsync("generate", "--tun-c", Fixtures.TunC("linux-5.10"), "--policy", policy, "--out", outDir);
        if (run.ExitCode != 0)
            throw new InvalidOperationException($"generate failed: {run.StandardError}");
    }
}
