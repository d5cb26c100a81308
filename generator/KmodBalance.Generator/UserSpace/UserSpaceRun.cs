namespace KmodBalance.Generator.UserSpace;

/// <summary>One finished run of the user-space driver.</summary>
public sealed record UserSpaceRun(int ExitCode, string StandardOutput, string StandardError)
{
    public bool Succeeded => ExitCode == 0;
}
