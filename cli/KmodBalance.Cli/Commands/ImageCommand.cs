using System.CommandLine;

namespace KmodBalance.Cli.Commands;

/// <summary>Placeholder until the `image` verb is written.</summary>
internal static class ImageCommand
{
    public static Command Create() => new("image", "(not yet implemented)");
}
