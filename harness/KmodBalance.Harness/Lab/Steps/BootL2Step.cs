using System.Diagnostics;
using KmodBalance.Harness.Infrastructure;
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
    /// <summary>L2 QEMU's own stdout and stderr: why it exited, when it does.</summary>
    public const string QemuLog = "/tmp/kmb-l2.qemu.log";

    /// <summary>L2's kernel command line. loglevel=5 keeps warnings and everything worse on the console
    /// (Oops, BUG, WARNING, RCU stalls, hung tasks: what <see cref="Measurement.ConsoleScanner"/> looks
    /// for) and drops the rest of the boot log: 63 lines instead of 400, and L2 is up in 16-18 s instead
    /// of 24-29 s. Every byte L2 writes to its 8250 UART is a port I/O exit out of L2 into its QEMU in
    /// L1, and 100 kB written to L2's ttyS0 panicked L1 within seconds, the way nested boots die here;
    /// the quiet boot makes fewer such exits, though boots still die now and then (README "Nested runs").</summary>
    public const string KernelArgs = $"console=ttyS0 loglevel=5 panic=-1 mitigations=off kmb.ip={Ip}/24";

    /// <param name="kernelRelease">L2 boots the lab kernel too (the image carries L1's vmlinuz).</param>
    public static QemuCommand Command(Accel accel, int queues, string kernelRelease) =>
        new(Name: "kmb-l2", Accel: accel, Cpus: queues, MemoryMb: 512, Kernel: "/opt/kmb/vmlinuz", Initrd: "/opt/kmb/l2.cpio",
            KernelArgs: KernelArgs,
            Nic: new TapNic(LabHostSteps.Tap, queues, "52:54:00:4b:4d:02"), Serial: $"file:{ConsoleFile}",
            Tcg: TcgProfile.ForKernel(kernelRelease), PidFile: PidFile);

    public static TimeSpan TimeoutFor(Accel accel) => accel == Accel.Kvm ? TimeSpan.FromSeconds(240) : TimeSpan.FromSeconds(900);

    /// <summary>With <see cref="KernelArgs"/>' loglevel=5, L2 writes little before KMB-READY (a quiet boot is
    /// up in 16-18 s here; a loud one took up to 48 s beside a build); this long without a byte on its console is a stall.</summary>
    public static readonly TimeSpan StallLimit = TimeSpan.FromSeconds(90);

    /// <summary>Boots L2 and returns its KMB-READY line.</summary>
    public static async Task<string> RunAsync(LabSshClient l1, QemuCommand qemu, IProgress<string> progress, CancellationToken ct)
    {
        const string step = "boot-l2";
        // Not -daemonize: it sends QEMU's stderr to /dev/null, and that is where QEMU says why it stopped.
        await l1.RunAsync(step, $"rm -f {ConsoleFile} {PidFile} {QemuLog}; (trap '' HUP; exec {qemu.ShellLine()}) </dev/null >{QemuLog} 2>&1 & " +
            $"i=0; while [ ! -s {PidFile} ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done; [ -s {PidFile} ] || cat {QemuLog} >&2",
            TimeSpan.FromSeconds(60), ct);
        var timeout = TimeoutFor(qemu.Accel);
        var sw = Stopwatch.StartNew();
        var nextNote = 30;
        var consoleBytes = -1L;
        var lastGrowth = Stopwatch.StartNew();
        while (true)
        {
            await Task.Delay(TimeSpan.FromSeconds(2), ct);
            var r = await l1.RunAsync(step, $"grep -a -m1 KMB-READY {ConsoleFile}; kill -0 $(cat {PidFile}) 2>/dev/null && echo ALIVE; " +
                $"echo BYTES $(wc -c < {ConsoleFile} 2>/dev/null)", TimeSpan.FromSeconds(30), ct, check: false);
            if (r.StdOut.Contains("KMB-READY", StringComparison.Ordinal)) return r.StdOut.Split('\n')[0].Trim();
            if (ParseBytes(r.StdOut) is { } bytes && bytes != consoleBytes)
            {
                consoleBytes = bytes;
                lastGrowth.Restart();
            }
            if (qemu.Accel == Accel.Kvm && lastGrowth.Elapsed > StallLimit && r.StdOut.Contains("ALIVE", StringComparison.Ordinal))
            {
                var console = await ReadConsoleAsync(l1, ct);
                await l1.RunAsync(step, $"kill $(cat {PidFile}); sleep 1; kill -9 $(cat {PidFile}) 2>/dev/null", TimeSpan.FromSeconds(30), ct, check: false);
                throw new BootFailedException(step, $"L2's console was silent for {StallLimit.TotalSeconds:0} s ({sw.Elapsed.TotalSeconds:0} s into its boot); " +
                    $"killed it; L2 console tail: {Processes.ProcessRunner.Tail(console, 400)}");
            }
            if (!r.StdOut.Contains("ALIVE", StringComparison.Ordinal))
            {
                var console = await ReadConsoleAsync(l1, ct);
                var qemuOut = (await l1.RunAsync(step, $"cat {QemuLog} 2>/dev/null", TimeSpan.FromSeconds(30), ct, check: false)).StdOut;
                // A QEMU killed by a signal says nothing itself; L1's kernel log may (OOM killer, segfault, KVM).
                var l1Log = (await l1.RunAsync(step, "dmesg | tail -n 12", TimeSpan.FromSeconds(30), ct, check: false)).StdOut;
                throw new BootFailedException(step, $"L2 QEMU exited before KMB-READY after {sw.Elapsed.TotalSeconds:0} s; " +
                    $"QEMU said: {(qemuOut.Trim().Length > 0 ? Processes.ProcessRunner.Tail(qemuOut, 600) : "nothing")}; " +
                    $"L1 kernel log tail: {Processes.ProcessRunner.Tail(l1Log, 900)}; " +
                    $"L2 console tail: {Processes.ProcessRunner.Tail(console, 600)}");
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

    /// <summary>Pure: the console size from the poll's "BYTES n" line; null when the file is not there yet.</summary>
    public static long? ParseBytes(string pollOutput) =>
        pollOutput.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.StartsWith("BYTES ", StringComparison.Ordinal)) is { } line &&
        long.TryParse(line["BYTES ".Length..], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n)
            ? n
            : null;

    public static async Task<string> ReadConsoleAsync(LabSshClient l1, CancellationToken ct) =>
        (await l1.RunAsync("collect-consoles", $"cat {ConsoleFile} 2>/dev/null", TimeSpan.FromSeconds(30), ct, check: false)).StdOut;
}
