namespace KmodBalance.Harness.Vm;

public enum Accel { Kvm, Tcg }

/// <summary>A tap NIC: a single-queue one for L1, a multi-queue virtio-net (mq=on) for L2.</summary>
public sealed record TapNic(string IfName, int Queues, string Mac, bool Vhost = false);

/// <summary>Pure builder of a qemu-system-x86_64 command line for a direct-kernel initramfs boot.</summary>
public sealed record QemuCommand(
    string Name,
    Accel Accel,
    int Cpus,
    int MemoryMb,
    string Kernel,
    string Initrd,
    string KernelArgs,
    TapNic Nic,
    string Serial,            // "stdio" or "file:/path"
    string? PidFile = null,
    string Binary = "qemu-system-x86_64")
{
    public IReadOnlyList<string> Arguments()
    {
        if (Cpus < 1) throw new ArgumentOutOfRangeException(nameof(Cpus));
        if (Nic.Queues < 1) throw new ArgumentOutOfRangeException(nameof(Nic));
        var a = new List<string> { "-name", Name };
        a.AddRange(Accel == Accel.Kvm
            ? ["-accel", "kvm", "-cpu", "host"]
            : ["-accel", "tcg,thread=multi", "-cpu", "max"]);
        a.AddRange(["-smp", Cpus.ToString(), "-m", MemoryMb.ToString(), "-M", "pc",
            "-nodefaults", "-no-user-config", "-display", "none", "-vga", "none", "-no-reboot",
            "-kernel", Kernel, "-initrd", Initrd, "-append", KernelArgs, "-serial", Serial]);
        var netdev = $"tap,id=n0,ifname={Nic.IfName},script=no,downscript=no";
        var device = $"virtio-net-pci,netdev=n0,romfile=,mac={Nic.Mac}";
        if (Nic.Queues > 1)
        {
            netdev += $",queues={Nic.Queues},vhost={(Nic.Vhost ? "on" : "off")}";
            device += $",mq=on,vectors={2 * Nic.Queues + 2}";
        }
        else if (Nic.Vhost) netdev += ",vhost=on";
        a.AddRange(["-netdev", netdev, "-device", device]);
        if (PidFile is not null) a.AddRange(["-pidfile", PidFile]);
        return a;
    }

    /// <summary>The command as one POSIX shell line (single-quoted where needed), to run inside L1.</summary>
    public string ShellLine() => string.Join(' ', new[] { Binary }.Concat(Arguments()).Select(ShellQuote));

    public static string ShellQuote(string s) =>
        s.Length > 0 && s.All(c => char.IsAsciiLetterOrDigit(c) || "-_=,./:+@%".Contains(c)) ? s : "'" + s.Replace("'", "'\\''") + "'";
}
