using System.CommandLine;

namespace KmodBalance.Cli.Commands;

/// <summary>Placeholder until the `generate` verb is written.</summary>
internal static class GenerateCommand
{
    public static Command Create() => new("generate", "(not yet implemented)");
}
