using KmodBalance.Generator.Build;
using KmodBalance.Harness.Infrastructure;
using KmodBalance.Harness.Measurement;
using KmodBalance.Harness.Network;
using KmodBalance.Harness.Vm;

namespace KmodBalance.Harness.Lab.Steps;

/// <summary>Boots the L1 lab host in the run's netns and waits for KMB-READY on its console.</summary>
public static class BootL1Step
{
    public const string Ip = "192.0.2.2";
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(180);

    public static QemuCommand Command(Accel accel, InstalledKernel kernel, string initrd, string tap) =>
        new(Name: "kmb-l1", Accel: accel, Cpus: 2, MemoryMb: 2048, Kernel: kernel.VmlinuzPath, Initrd: initrd,
            KernelArgs: $"console=ttyS0 panic=-1 mitigations=off kmb.ip={Ip}/24",
            Nic: new TapNic(tap, 1, "52:54:00:4b:4d:01"), Serial: "stdio", Tcg: TcgProfile.ForKernel(kernel.Release));

    /// <summary>tun.ko is loaded over SSH after KMB-READY, so a boot that fails before it (a KASAN
    /// splat in early boot under multi-threaded TCG was seen once in CI) ran nothing under test: it
    /// is a <see cref="BootFailedException"/>, and L1 boots once more.</summary>
    public const int Attempts = 2;

    /// <summary>One boot: QEMU started in the netns, KMB-READY awaited; a failed boot's QEMU is killed here
    /// so that the next attempt gets the tap.</summary>
    public static async Task<VmProcess> RunAsync(QemuCommand qemu, Netns netns, string consoleLog, CleanupRegistry cleanup,
        IProgress<string> progress, CancellationToken ct)
    {
        var vm = VmProcess.Start(qemu, netns.Name, consoleLog);
        cleanup.Add($"killed L1 QEMU (pid {vm.ProcessId})", vm.DisposeAsync);
        try
        {
            var ready = await vm.WaitForLineAsync("boot-l1", "KMB-READY", Timeout, ConsoleScanner.FindKernelFailure, ct);
            progress.Report($"L1 ready ({ready})");
            return vm;
        }
        catch (LabStepException e)
        {
            await vm.DisposeAsync();
            throw new BootFailedException(e.Step, e.Detail);
        }
    }
}
