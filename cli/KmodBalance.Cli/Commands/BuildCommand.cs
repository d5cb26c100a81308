using System.CommandLine;
using KmodBalance.Generator;
using KmodBalance.Generator.Build;
using KmodBalance.Harness.Lab;

namespace KmodBalance.Cli.Commands;

/// <summary>`kmb build`: kbuild against a kernel's headers, with a vermagic check.</summary>
internal static class BuildCommand
{
    public static Command Create()
    {
        var dir = new Argument<string>("dir") { Description = "A directory written by `kmb generate`" };
        var kdir = new Option<string?>("--kdir")
        {
            Description = "Kernel build tree (headers). Default: /lib/modules/<release>/build of the installed Debian cloud kernel",
        };
        var w1 = new Option<bool>("--w1") { Description = "Build with W=1 (extra compiler warnings)" };
        var kernel = KernelCommand.KernelOption("build against that generation's fetched headers, with its compiler. " +
            "Without --kernel and --kdir, a directory generated from a fetched 5.10 or 6.12 tun.c builds for that kernel");
        var command = new Command("build", "Build tun.ko out of tree from a generated directory and check its vermagic") { dir, kdir, w1, kernel };
        command.SetAction((result, ct) => CommandRunner.RunAsync(async () =>
        {
            if (result.GetValue(kernel) is not null && result.GetValue(kdir) is not null)
                throw new KmbException("give --kernel or --kdir, not both");
            var fetched = await KernelCommand.ResolveAsync(result.GetValue(kernel), ct)
                ?? (result.GetValue(kdir) is null ? KernelCommand.DetectFromManifest(result.GetValue(dir)!) : null);
            if (fetched is not null)
            {
                Console.WriteLine($"kernel: Linux {fetched.Generation} {fetched.Release} ({fetched.ImageVersion}), compiler {fetched.CompilerVersion}");
                KernelCommand.NoteOtherSource(result.GetValue(dir)!, fetched);
            }
            var headers = result.GetValue(kdir) ?? fetched?.HeadersDir ?? InstalledKernel.Find().HeadersDir;
            Console.WriteLine($"building {result.GetValue(dir)} against {headers} ...");
            var build = await KbuildRunner.BuildAsync(result.GetValue(dir)!, headers, result.GetValue(w1), ct, new ConsoleProgress());
            foreach (var warning in build.Warnings)
                Console.WriteLine(warning);
            Console.WriteLine($"built {build.Module} in {build.Seconds:F1} s");
            Console.WriteLine($"vermagic '{build.Vermagic}' matches the headers' kernel release {build.KernelRelease}");
            return 0;
        }));
        return command;
    }
}
