namespace KmodBalance.Harness.Infrastructure;

/// <summary>A lab step failed: the message always names the step, so a CI log says where.</summary>
public class LabStepException(string step, string message, Exception? inner = null)
    : Exception($"[{step}] {message}", inner)
{
    public string Step { get; } = step;
    /// <summary>The message without the step's name.</summary>
    public string Detail { get; } = message;
}

/// <summary>A VM did not come up, for a reason that lies in the emulator rather than in the code
/// under test: L1 failed before tun.ko was loaded, or nested L2's QEMU died or went silent. Only
/// this failure is attempted again within a trial (<c>StepClock.StepWithRetry</c>), never silently;
/// a whole trial gets a fresh boot after any error but a <see cref="PropertyFailedException"/>.</summary>
public sealed class BootFailedException(string step, string message) : LabStepException(step, message);

/// <summary>The code under test showed a wrong property during a lab step (the module did not balance
/// the tap, kmbsteer's statistics vanished): never booted again into a pass.</summary>
public sealed class PropertyFailedException(string step, string message) : LabStepException(step, message);
