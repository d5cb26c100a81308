using System.CommandLine;

namespace KmodBalance.Cli.Commands;

/// <summary>Placeholder until the `build` verb is written.</summary>
internal static class BuildCommand
{
    public static Command Create() => new("build", "(not yet implemented)");
}
