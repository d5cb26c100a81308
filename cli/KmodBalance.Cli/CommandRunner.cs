using KmodBalance.Generator;

namespace KmodBalance.Cli;

/// <summary>Turns the errors a verb can raise into a message on stderr and an exit code.</summary>
internal static class CommandRunner
{
    public static async Task<int> RunAsync(Func<Task<int>> verb)
    {
        try
        {
            return await verb();
        }
        catch (KmbException e)
        {
            await Console.Error.WriteLineAsync($"kmb: {e.Message}");
            return e.ExitCode;
        }
        catch (OperationCanceledException)
        {
            await Console.Error.WriteLineAsync("kmb: interrupted");
            return 130;
        }
    }
}
