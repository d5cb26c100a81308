using KmodBalance.Generator.Output;
using System.CommandLine;
using KmodBalance.Generator;
using KmodBalance.Generator.Build;
using KmodBalance.Harness.Images;
using KmodBalance.Harness.Infrastructure;
using KmodBalance.Harness.Lab.Steps;
using KmodBalance.Harness.Lab;

namespace KmodBalance.Cli.Commands;

/// <summary>`kmb image build`: builds or reuses the L2 guest and L1 lab-host initramfs images.</summary>
internal static class ImageCommand
{
    public static Command Create()
    {
        var module = new Option<string?>("--module") { Description = "Directory with a built tun.ko (from `kmb build`); without it only the L2 guest image is built" };
        var stateDir = new Option<string>("--state-dir") { Description = "Where images, keys and caches live", DefaultValueFactory = _ => StateDirectory.DefaultPath };
        var kernel = new Option<string?>("--kernel-release") { Description = "Guest kernel release (default: newest installed *-cloud-amd64)" };
        var build = new Command("build", "Build (or reuse from cache) the lab's guest and lab-host initramfs images") { module, stateDir, kernel };
        build.SetAction(async (ParseResult r, CancellationToken ct) =>
        {
            var progress = new ConsoleProgress();
            try
            {
                var k = InstalledKernel.Find(r.GetValue(kernel));
                var dir = r.GetValue(module);
                string? tunKo = null;
                if (dir is not null)
                {
                    tunKo = Path.Combine(dir, "tun.ko");
                    if (!File.Exists(tunKo)) { Console.Error.WriteLine($"kmb image build: {tunKo} not found"); return 2; }
                }
                var lab = new LabEnvironment { StateDir = r.GetValue(stateDir)! };
                var images = await PrepareImagesStep.RunAsync(lab.ResolveVmImagesDir(), lab.StateDir, k, tunKo, progress, ct);
                if (images.LabHost is null) progress.Report("L1 lab-host image not built: it needs --module DIR with tun.ko");
                return 0;
            }
            catch (LabStepException e) { Console.Error.WriteLine($"kmb image build: {e.Message}"); return 2; }
            catch (KmbException e) { Console.Error.WriteLine($"kmb image build: {e.Message}"); return e.ExitCode; }
            catch (OperationCanceledException) { Console.Error.WriteLine("kmb image build: cancelled"); return 2; }
        });
        return new Command("image", "Lab VM images") { build };
    }
}
