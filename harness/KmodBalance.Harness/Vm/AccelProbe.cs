using KmodBalance.Harness.Processes;

namespace KmodBalance.Harness.Vm;

/// <summary>What a probe observed about hardware virtualization on some host (the runner, or L1).</summary>
public sealed record AccelProbeResult(bool DevKvmPresent, bool KernelBooted, string Detail);

public sealed record AccelDecision(Accel Accel, string Message);

/// <summary>Decides KVM or TCG by what really works: /dev/kvm existing is not enough (on this kind
/// of runner it exists but qemu aborts setting MSRs), so the probe boots the real kernel briefly.</summary>
public static class AccelProbe
{
    /// <summary>Pure decision from probe results.</summary>
    public static AccelDecision Decide(AccelProbeResult probe, string where) =>
        probe switch
        {
            { DevKvmPresent: false } => new(Accel.Tcg, $"{where}: no /dev/kvm, using TCG (slower)"),
            { KernelBooted: false } => new(Accel.Tcg, $"{where}: /dev/kvm present but cannot boot a kernel ({probe.Detail}), using TCG"),
            _ => new(Accel.Kvm, $"{where}: KVM works"),
        };

    /// <summary>Boots the stock kernel under -accel kvm with no root: reaching the root-mount
    /// panic (a few seconds) proves KVM runs a kernel. QEMU failing or hanging means it does not.</summary>
    public static async Task<AccelProbeResult> ProbeHostAsync(string vmlinuz, CancellationToken ct)
    {
        if (!File.Exists("/dev/kvm")) return new(false, false, "no /dev/kvm");
        var r = await ProcessRunner.RunAsync("accel-probe", "timeout", ["15", "qemu-system-x86_64", "-accel", "kvm", "-cpu", "host",
            "-m", "256", "-M", "pc", "-nodefaults", "-no-user-config", "-display", "none", "-no-reboot", "-serial", "stdio",
            "-kernel", vmlinuz, "-append", "console=ttyS0 panic=-1 root=/dev/kmb-none"],
            TimeSpan.FromSeconds(30), ct, check: false);
        return Interpret(r.ExitCode, r.StdOut, r.StdErr);
    }

    /// <summary>Pure: interprets the probe boot's exit code and console.</summary>
    public static AccelProbeResult Interpret(int exitCode, string console, string stderr)
    {
        var booted = console.Contains("VFS:", StringComparison.Ordinal) || console.Contains("Kernel panic", StringComparison.Ordinal);
        var detail = booted ? "kernel reached root mount" :
            exitCode == 124 ? "timed out before the kernel reached root mount" :
            ProcessRunner.Tail(stderr.Length > 0 ? stderr : console, 160).ReplaceLineEndings(" ");
        return new(true, booted, detail);
    }
}
