namespace KmodBalance.Tests.Support;

/// <summary>Paths of the test fixtures copied beside the test assembly.</summary>
public static class Fixtures
{
    public static string Root => Path.Combine(AppContext.BaseDirectory, "Fixtures");

    public static string TunC(string generation) => Path.Combine(Root, "tun", generation, "tun.c");

    public static string ReadTunC(string generation) => File.ReadAllText(TunC(generation));

    public static readonly string[] Generations =
        ["linux-3.10", "linux-3.13", "linux-4.16", "linux-4.19", "linux-5.10", "linux-6.15", "linux-6.16"];
}

/// <summary>A temporary directory deleted when the test ends.</summary>
public sealed class TempDir : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("kmb-test-").FullName;

    public string Combine(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);

    public void Dispose()
    {
        if (Directory.Exists(Path))
            Directory.Delete(Path, recursive: true);
    }
}
