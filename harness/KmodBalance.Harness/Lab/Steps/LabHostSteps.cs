using KmodBalance.Harness.Infrastructure;
using KmodBalance.Harness.Ssh;
using KmodBalance.Harness.Vm;

namespace KmodBalance.Harness.Lab.Steps;

/// <summary>The steps run inside L1 over SSH (scripts from vm-images/l1, installed in /opt/kmb).</summary>
public static class LabHostSteps
{
    public const string Tap = "ltap0";
    public const string TapCidr = "198.51.100.1/24";

    /// <summary>Refuses a pre-loaded tun, insmods /opt/kmb/tun.ko (with balance_default=1 when
    /// <paramref name="balanceDefault"/> and the module has it), checks /sys/module/tun. Returns its
    /// "KMB-TUN ..." status line and the module's balance_default (null: a stock module without it).</summary>
    public static async Task<(string Status, int? BalanceDefault)> LoadModuleAsync(LabSshClient l1, bool balanceDefault, CancellationToken ct)
    {
        var r = await l1.RunAsync("load-module", $"/opt/kmb/load-tun.sh {(balanceDefault ? 1 : 0)}", TimeSpan.FromSeconds(60), ct, check: false);
        if (r.ExitCode == 3) throw new LabStepException("load-module", "refusing: a tun module is already loaded in L1: " + r.StdErr.Trim());
        if (r.ExitCode != 0) throw new LabStepException("load-module", $"loading /opt/kmb/tun.ko failed (exit {r.ExitCode}): {r.StdErr.Trim()}");
        return ParseLoadOutput(r.StdOut);
    }

    /// <summary>Pure: load-tun.sh's "KMB-TUN ..." line and "KMB-BALANCE default=N" (or "none").</summary>
    public static (string Status, int? BalanceDefault) ParseLoadOutput(string output)
    {
        var lines = output.Split('\n').Select(l => l.Trim()).ToList();
        var status = lines.FirstOrDefault(l => l.StartsWith("KMB-TUN ", StringComparison.Ordinal))
            ?? throw new LabStepException("load-module", $"load-tun.sh printed no KMB-TUN line: {output.Trim()}");
        var balance = lines.FirstOrDefault(l => l.StartsWith("KMB-BALANCE ", StringComparison.Ordinal));
        int? value = balance is not null && balance.Split(' ').FirstOrDefault(w => w.StartsWith("default=", StringComparison.Ordinal)) is { } d
            && int.TryParse(d["default=".Length..], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var v) ? v : null;
        return (status, value);
    }

    /// <summary>After the tap exists: its balance attribute (null: the module has none) and the tap's
    /// block of /sys/kernel/debug/tun_balance (null: no statistics file).</summary>
    public static async Task<(int? Requested, Measurement.BalanceStats? Stats)> ReadBalanceAsync(LabSshClient l1, CancellationToken ct)
    {
        const string sep = "### kmb-section";
        var r = await l1.RunAsync("balance-state", $"cat /sys/class/net/{Tap}/balance 2>/dev/null || echo -; echo '{sep}'; {Measurement.BalanceStatsParser.ShellRead}",
            TimeSpan.FromSeconds(30), ct);
        var parts = r.StdOut.Split(sep + "\n");
        if (parts.Length != 2) throw new LabStepException("balance-state", "unexpected output: " + r.StdOut.Trim());
        int? requested = int.TryParse(parts[0].Trim(), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var v) ? v : null;
        try
        {
            return (requested, Measurement.BalanceStatsParser.ParseOptional(parts[1], Tap));
        }
        catch (FormatException e)
        {
            throw new LabStepException("balance-state", e.Message);
        }
    }

    /// <summary>Pure: the report's "balancing" line.</summary>
    public static string DescribeBalancing(int? balanceDefault, int? requested, Measurement.BalanceStats? stats) =>
        balanceDefault is null
            ? "off (stock: the module has no balancer)"
            : requested == 1 && stats is { Off: false } s
                ? $"on (insmod tun.ko balance_default={balanceDefault}; {Tap} reads balance=1 and is in tun_balance with policy {s.Policy})"
                : $"off (balance_default={balanceDefault}, {Tap} reads balance={requested?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "-"}" +
                  $"{(stats is { Off: false } ? "" : ", no balancer state")})";

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

    /// <summary>--backend ebpf: starts kmbsteer on the tap in L1 (vm-images/l1/steer.sh) and returns its
    /// "KMB-STEER pid=... kmbsteer: steering ..." line once it steers and wrote its first statistics.
    /// kmbsteer's refusals (exit 4 of steer.sh, with its one line) fail the step.</summary>
    public static async Task<string> AttachSteerAsync(LabSshClient l1, string device, Tunables tunables, CancellationToken ct)
    {
        var r = await l1.RunAsync("attach-kmbsteer", string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"/opt/kmb/steer.sh start {device} {tunables.PeriodMs} {tunables.Threshold}"), TimeSpan.FromSeconds(60), ct, check: false);
        if (r.ExitCode != 0)
            throw new LabStepException("attach-kmbsteer", $"kmbsteer did not attach to {device} in L1 (steer.sh exit {r.ExitCode}): {r.StdErr.Trim()}");
        return r.StdOut.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.StartsWith("KMB-STEER ", StringComparison.Ordinal))
            ?? throw new LabStepException("attach-kmbsteer", $"steer.sh printed no KMB-STEER line: {r.StdOut.Trim()}");
    }

    /// <summary>Ends kmbsteer in L1 (SIGINT: it clears the program, the tap is stock again). For the
    /// cleanup: bounded by its own timeout, never by the run's (cancelled) token.</summary>
    public static async ValueTask DetachSteerAsync(LabSshClient l1, string device)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        var r = await l1.RunAsync("detach-kmbsteer", $"/opt/kmb/steer.sh stop {device}", TimeSpan.FromSeconds(15), cts.Token, check: false);
        if (r.ExitCode != 0 || !r.StdOut.Contains("KMB-STEER", StringComparison.Ordinal))
            throw new LabStepException("detach-kmbsteer", $"steer.sh stop exited {r.ExitCode}: {r.StdErr.Trim()}");
    }

    /// <summary>The shell command printing kmbsteer's statistics file of <paramref name="device"/> in L1 (or "absent").</summary>
    public static string SteerStatsCommand(string device) => $"/opt/kmb/steer.sh stats {device}";

    /// <summary>kmbsteer's statistics of the tap through the stats adapter; the raw text for the report.</summary>
    public static async Task<(string Raw, Measurement.BalanceStats? Stats)> ReadSteerStatsAsync(string step, LabSshClient l1, string device, CancellationToken ct)
    {
        var r = await l1.RunAsync(step, SteerStatsCommand(device), TimeSpan.FromSeconds(30), ct);
        try
        {
            return (r.StdOut, Steering.SteerStatsParser.ParseOptional(r.StdOut, device));
        }
        catch (FormatException e)
        {
            throw new LabStepException(step, e.Message);
        }
    }

    /// <summary>Pure: the report's "balancing" line for --backend ebpf (<paramref name="steer"/>: kmbsteer's
    /// KMB-STEER line, null for stock; <paramref name="stats"/>: its statistics after attaching).</summary>
    public static string DescribeSteering(string? steer, Tunables tunables, Measurement.BalanceStats? stats) =>
        steer is null
            ? "off (stock: the kernel's own unmodified tun.ko, no steering program)"
            : stats is { Off: false } s && s.Policy == Policy.Dynamic.Name()
                ? string.Create(System.Globalization.CultureInfo.InvariantCulture,
                    $"on (eBPF: kmbsteer's steering program on the kernel's own unmodified tun.ko, period {tunables.PeriodMs} ms, threshold {tunables.Threshold}; " +
                    $"{Tap} is in its statistics with policy {s.Policy}, {s.Queues.Count} queue(s) so far; {steer["KMB-STEER ".Length..]})")
                : $"off (kmbsteer started but its statistics show no dynamic balancer for {Tap})";

    public static Task CreateTapAsync(LabSshClient l1, CancellationToken ct) =>
        l1.RunAsync("create-ltap", $"/opt/kmb/mk-ltap.sh {Tap} {TapCidr} && ip -d link show {Tap}", TimeSpan.FromSeconds(30), ct);
}
