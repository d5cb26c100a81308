using KmodBalance.Harness.Ssh;
using KmodBalance.Harness.Vm;

namespace KmodBalance.Harness.Lab.Steps;

/// <summary>The steps run inside L1 over SSH (scripts from vm-images/l1, installed in /opt/kmb).</summary>
public static class LabHostSteps
{
    public const string Tap = "ltap0";
    public const string TapCidr = "198.51.100.1/24";

    /// <summary>Refuses a pre-loaded tun, insmods /opt/kmb/tun.ko, checks /sys/module/tun. Returns its status line.</summary>
    public static async Task<string> LoadModuleAsync(LabSshClient l1, CancellationToken ct)
    {
        var r = await l1.RunAsync("load-module", "/opt/kmb/load-tun.sh", TimeSpan.FromSeconds(60), ct, check: false);
        if (r.ExitCode == 3) throw new LabStepException("load-module", "refusing: a tun module is already loaded in L1: " + r.StdErr.Trim());
        if (r.ExitCode != 0) throw new LabStepException("load-module", $"loading /opt/kmb/tun.ko failed (exit {r.ExitCode}): {r.StdErr.Trim()}");
        return r.StdOut.Trim();
    }

    /// <summary>Loads kvm_amd/kvm_intel in L1 and decides the L2 accelerator by what works.</summary>
    public static async Task<AccelDecision> SetupKvmAsync(LabSshClient l1, CancellationToken ct)
    {
        var r = await l1.RunAsync("l1-kvm", "/opt/kmb/kvm-setup.sh", TimeSpan.FromSeconds(60), ct);
        return ParseAccelLine(r.StdOut);
    }

    /// <summary>Pure: "KMB-ACCEL kvm" or "KMB-ACCEL tcg REASON" from kvm-setup.sh.</summary>
    public static AccelDecision ParseAccelLine(string output)
    {
        var line = output.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.StartsWith("KMB-ACCEL ", StringComparison.Ordinal))
            ?? throw new LabStepException("l1-kvm", $"kvm-setup.sh printed no KMB-ACCEL line: {output.Trim()}");
        var rest = line["KMB-ACCEL ".Length..];
        return rest == "kvm"
            ? new AccelDecision(Accel.Kvm, "L1: KVM works (nested on the emulated CPU), L2 uses -accel kvm")
            : new AccelDecision(Accel.Tcg, $"L1: {rest.Replace("tcg ", "", StringComparison.Ordinal)}; L2 falls back to TCG (expect minutes, not seconds)");
    }

    public static Task CreateTapAsync(LabSshClient l1, CancellationToken ct) =>
        l1.RunAsync("create-ltap", $"/opt/kmb/mk-ltap.sh {Tap} {TapCidr} && ip -d link show {Tap}", TimeSpan.FromSeconds(30), ct);
}
