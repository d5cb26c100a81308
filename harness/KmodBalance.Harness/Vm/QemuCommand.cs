namespace KmodBalance.Harness.Vm;

public enum Accel { Kvm, Tcg }

/// <summary>A tap NIC: a single-queue one for L1, a multi-queue virtio-net (mq=on) for L2.</summary>
public sealed record TapNic(string IfName, int Queues, string Mac, bool Vhost = false);

/// <summary>
/// How TCG runs a kernel generation: the one place a kernel decides its QEMU flags. Debian's
/// 6.12 cloud kernel under this QEMU (7.2) crashes at random with the default: double faults
/// in SLUB's cmpxchg16b path, and int3 Oopses while the kernel patches its own text under
/// multi-threaded TCG. Without CX16 and with one TCG thread, 9 of 9 stress boots were clean;
/// 5.10 and 6.1 keep multi-threaded TCG (faster with 2 vCPUs).
/// </summary>
public sealed record TcgProfile(string Cpu, string Accel, string Why)
{
    public static readonly TcgProfile Default = new("max", "tcg,thread=multi", "multi-threaded TCG, all of -cpu max");
    public static readonly TcgProfile Conservative = new("max,cx16=off", "tcg,thread=single",
        "6.12+ under TCG: CX16 off (SLUB's cmpxchg16b double-faulted) and one TCG thread (text patching Oopsed with several)");

    /// <summary>Pure: the profile of a kernel release ("6.12.95+deb12-cloud-amd64", "5.10.0-46-cloud-amd64").</summary>
    public static TcgProfile ForKernel(string release) =>
        ParseVersion(release) is { } v && v >= new Version(6, 12) ? Conservative : Default;

    /// <summary>Pure: major.minor of a release string, or null when it does not start with one.</summary>
    public static Version? ParseVersion(string release)
    {
        var parts = release.Split('.', 3);
        return parts.Length >= 2 && int.TryParse(parts[0], out var major) &&
               int.TryParse(new string(parts[1].TakeWhile(char.IsAsciiDigit).ToArray()), out var minor)
            ? new Version(major, minor)
            : null;
    }
}

/// <summary>Pure builder of a qemu-system-x86_64 command line for a direct-kernel initramfs boot.</summary>
/// <param name="Tcg">How TCG runs this kernel (ignored under KVM): <see cref="TcgProfile.ForKernel"/>.</param>
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
    TcgProfile Tcg,
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
            : ["-accel", Tcg.Accel, "-cpu", Tcg.Cpu]);
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
