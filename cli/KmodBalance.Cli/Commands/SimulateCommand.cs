using System.CommandLine;

namespace KmodBalance.Cli.Commands;

/// <summary>Placeholder until the `simulate` verb is written.</summary>
internal static class SimulateCommand
{
    public static Command Create() => new("simulate", "(not yet implemented)");
}
