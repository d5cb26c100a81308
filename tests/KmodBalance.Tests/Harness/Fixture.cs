namespace KmodBalance.Tests.Harness;

/// <summary>Reads captured command output from Fixtures/harness (copied to the test output dir).</summary>
internal static class Fixture
{
    public static string Path(string name) => System.IO.Path.Combine(AppContext.BaseDirectory, "Fixtures", "harness", name);

    public static string Read(string name) => File.ReadAllText(Path(name));
}
