namespace KmodBalance.Generator;

/// <summary>
/// An error the user can act on: the message names the problem and the fix, and the
/// exit code tells scripts whether it was bad input (2) or a failed step (1).
/// </summary>
public class KmbException(string message, int exitCode = 2) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}

/// <summary>The input tun.c lacks a shape the generator must change.</summary>
public sealed class UnsupportedTunSourceException(string message)
    : KmbException(message + Environment.NewLine + SupportedKernels, 2)
{
    public const string SupportedKernels =
        "Supported: tun.c of Linux 3.9 to 6.16+ (ndo_select_queue with (dev, skb), +accel_priv, " +
        "+accel_priv+fallback, sb_dev+fallback, or (dev, skb, sb_dev)).";
}
