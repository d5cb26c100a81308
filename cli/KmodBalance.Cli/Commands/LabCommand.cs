using System.CommandLine;

namespace KmodBalance.Cli.Commands;

/// <summary>Placeholder until the `lab` verb is written.</summary>
internal static class LabCommand
{
    public static Command Create() => new("lab", "(not yet implemented)");
}
