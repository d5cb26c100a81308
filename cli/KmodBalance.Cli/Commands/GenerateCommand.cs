using System.CommandLine;
using KmodBalance.Generator;
using KmodBalance.Generator.Output;
using KmodBalance.Generator.Source;
using KmodBalance.Harness.Lab;

namespace KmodBalance.Cli.Commands;

/// <summary>`kmb generate`: a patched tun.c, Kbuild files, a patch and a manifest.</summary>
internal static class GenerateCommand
{
    public static Command Create()
    {
        var tunC = new Option<string?>("--tun-c") { Description = "A kernel's drivers/net/tun.c (a tun_vnet.h beside it is taken too)" };
        var kernelSource = new Option<string?>("--kernel-source")
        {
            Description = "A kernel tree, or a linux-source-*.tar.xz, from which only drivers/net/tun.c (and tun_vnet.h) is read. " +
                          "Default, with neither option: the installed /usr/src/linux-source-*.tar.xz",
        };
        var policy = new Option<string>("--policy")
        {
            Description = "stock (tun unchanged), hash (flow hash only), dynamic (the thesis's balancer) or adaptive (guest's queue first, moves that never reorder)",
            DefaultValueFactory = _ => "dynamic",
        };
        policy.AcceptOnlyFromAmong(PolicyNames.NamesOf(PolicyNames.All));
        var threshold = TunableOptions.Threshold();
        var period = TunableOptions.PeriodMs();
        var outDir = new Option<string>("--out") { Description = "Directory to write: new, empty, or a previous kmb output (replaced atomically; nothing kmb did not write is deleted)", Required = true };
        var kernel = KernelCommand.KernelOption("read that generation's tun.c from its fetched linux-source");

        var command = new Command("generate", "Emit a patched tun.c for a queue-selection policy, with Kbuild files, a git format-patch and manifest.json")
        {
            tunC, kernelSource, policy, threshold, period, outDir, kernel,
        };
        command.SetAction((result, ct) => CommandRunner.RunAsync(async () =>
        {
            var tunables = TunableOptions.Read(result, threshold, period);
            // Checked and locked before the input is read (a tarball takes seconds); written only at the end.
            using var output = await OutputDirectory.OpenAsync(result.GetValue(outDir)!,
                new[] { result.GetValue(tunC), result.GetValue(kernelSource), KernelCommand.SourceTreeOf(result.GetValue(kernel)) }
                    .OfType<string>().ToList(), new ConsoleProgress(), ct);
            if (result.GetValue(kernel) is not null && (result.GetValue(tunC) ?? result.GetValue(kernelSource)) is not null)
                throw new KmbException("give --kernel, or --tun-c / --kernel-source, not both");
            var fetched = await KernelCommand.ResolveAsync(result.GetValue(kernel), ct);
            var source = await TunSourceLocator.ReadAsync(result.GetValue(tunC), fetched?.SourceTree ?? result.GetValue(kernelSource), ct);
            if (fetched is not null)
                Console.WriteLine($"input: Linux {fetched.Generation} ({fetched.Release}, {fetched.ImageVersion}) {source.Origin}");
            if (result.GetValue(tunC) is null && result.GetValue(kernelSource) is null && fetched is null)
                Console.WriteLine($"input: installed {source.Origin}");
            var author = await PatchAuthor.FromGitConfigAsync(ct);
            var generated = await TunGenerator.RenderAsync(
                new GenerateRequest(source, PolicyNames.Parse(result.GetValue(policy)!), tunables, output.FullPath, author), ct);
            await output.ReplaceAsync(generated.WriteIntoAsync);
            var manifest = generated.Manifest;
            Console.WriteLine($"kernel API: {manifest.KernelApiProfile}");
            Console.WriteLine($"policy {manifest.Policy}" + (manifest.Tunables is { } t
                ? $": balance_threshold={t.ThresholdPackets} packets/period, balance_period_ms={t.PeriodMs}"
                : ""));
            foreach (var note in generated.Notes)
                Console.WriteLine($"note: {note}");
            Console.WriteLine($"wrote {output.FullPath}: {string.Join(", ", manifest.Files)}");
            return 0;
        }));
        return command;
    }
}
