using CliWrap;
using CliWrap.Buffered;

namespace KmodBalance.Tests.Support;

/// <summary>Runs real programs (patch, the kmb CLI) for tests that check what a user sees.</summary>
public static class Processes
{
    public static async Task<BufferedCommandResult> RunAsync(string program, IEnumerable<string> args, string? workDir = null, string? stdin = null)
    {
        var command = CliWrap.Cli.Wrap(program).WithArguments(args).WithValidation(CommandResultValidation.None);
        if (workDir is not null)
            command = command.WithWorkingDirectory(workDir);
        if (stdin is not null)
            command = command.WithStandardInputPipe(PipeSource.FromString(stdin));
        return await command.ExecuteBufferedAsync();
    }

    /// <summary>The kmb CLI as built beside the tests.</summary>
    public static Task<BufferedCommandResult> KmbAsync(params string[] args) =>
        RunAsync("dotnet", [Path.Combine(AppContext.BaseDirectory, "kmb.dll"), .. args]);
}
