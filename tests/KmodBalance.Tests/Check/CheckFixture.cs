namespace KmodBalance.Tests.Check;

/// <summary>Reads captured tool output from Fixtures/check (copied to the test output dir).</summary>
internal static class CheckFixture
{
    public static string Read(string name) => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "check", name));
}
