using System.CommandLine;

namespace KmodBalance.Cli.Commands;

/// <summary>Placeholder until the `bench` verb is written.</summary>
internal static class BenchCommand
{
    public static Command Create() => new("bench", "(not yet implemented)");
}
