using System.Diagnostics;
using KmodBalance.Harness.Measurement;
using KmodBalance.Harness.Ssh;
using KmodBalance.Harness.Vm;

namespace KmodBalance.Harness.Lab.Steps;

/// <summary>Boots the L2 guest inside L1 on the multi-queue ltap0 and waits for KMB-READY on its
/// console (a file in L1, polled over SSH).</summary>
public static class BootL2Step
{
    public const string Ip = "198.51.100.2";
    public const string ConsoleFile = "/tmp/kmb-l2.console";
    public const string PidFile = "/tmp/kmb-l2.pid";

    public static QemuCommand Command(Accel accel, int queues) =>
        new(Name: "kmb-l2", Accel: accel, Cpus: queues, MemoryMb: 512, Kernel: "/opt/kmb/vmlinuz", Initrd: "/opt/kmb/l2.cpio",
            KernelArgs: $"console=ttyS0 panic=-1 mitigations=off kmb.ip={Ip}/24",
            Nic: new TapNic(LabHostSteps.Tap, queues, "52:54:00:4b:4d:02"), Serial: $"file:{ConsoleFile}",
            PidFile: PidFile, Daemonize: true);

    public static TimeSpan TimeoutFor(Accel accel) => accel == Accel.Kvm ? TimeSpan.FromSeconds(240) : TimeSpan.FromSeconds(900);

    public static async Task<string> RunAsync(LabSshClient l1, QemuCommand qemu, IProgress<string> progress, CancellationToken ct)
    {
        const string step = "boot-l2";
        await l1.RunAsync(step, $"rm -f {ConsoleFile} {PidFile}; {qemu.ShellLine()}", TimeSpan.FromSeconds(60), ct);
        var timeout = TimeoutFor(qemu.Accel);
        var sw = Stopwatch.StartNew();
        var nextNote = 30;
        while (true)
        {
            await Task.Delay(TimeSpan.FromSeconds(2), ct);
            var r = await l1.RunAsync(step, $"grep -a -m1 KMB-READY {ConsoleFile}; kill -0 $(cat {PidFile}) 2>/dev/null && echo ALIVE",
                TimeSpan.FromSeconds(30), ct, check: false);
            if (r.StdOut.Contains("KMB-READY", StringComparison.Ordinal)) return r.StdOut.Split('\n')[0].Trim();
            if (!r.StdOut.Contains("ALIVE", StringComparison.Ordinal))
            {
                var console = await ReadConsoleAsync(l1, ct);
                throw new LabStepException(step, $"L2 QEMU exited before KMB-READY; console tail: {Processes.ProcessRunner.Tail(console, 800)}");
            }
            if (sw.Elapsed > timeout || sw.Elapsed.TotalSeconds > nextNote)
            {
                var console = await ReadConsoleAsync(l1, ct);
                if (ConsoleScanner.FindKernelFailure(console) is { } failure)
                    throw new LabStepException(step, $"L2 kernel failure before KMB-READY: {failure}");
                if (sw.Elapsed > timeout)
                    throw new LabStepException(step, $"no KMB-READY from L2 after {timeout.TotalSeconds:0} s; console tail: {Processes.ProcessRunner.Tail(console, 600)}");
                progress.Report($"  L2 still booting after {sw.Elapsed.TotalSeconds:0} s");
                nextNote += 30;
            }
        }
    }

    public static async Task<string> ReadConsoleAsync(LabSshClient l1, CancellationToken ct) =>
        (await l1.RunAsync("collect-consoles", $"cat {ConsoleFile} 2>/dev/null", TimeSpan.FromSeconds(30), ct, check: false)).StdOut;
}
