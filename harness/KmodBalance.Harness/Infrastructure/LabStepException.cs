namespace KmodBalance.Harness.Infrastructure;

/// <summary>A lab step failed: the message always names the step, so a CI log says where.</summary>
public sealed class LabStepException(string step, string message, Exception? inner = null)
    : Exception($"[{step}] {message}", inner)
{
    public string Step { get; } = step;
}
