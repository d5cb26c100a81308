using System.Reflection;
using KmodBalance.Generator.Detection;
using KmodBalance.Generator.Output;
using KmodBalance.Generator.Rendering;
using KmodBalance.Generator.Source;

namespace KmodBalance.Generator;

/// <summary>
/// `kmb generate`: detect the input's kernel API generation, patch tun.c for the
/// policy, and write tun.c, the Kbuild files, the patch and manifest.json atomically.
/// </summary>
public static class TunGenerator
{
    public static async Task<GenerateResult> GenerateAsync(GenerateRequest request, CancellationToken ct)
    {
        var tunables = request.Tunables.Validated();
        var source = request.Source;
        var profile = ApiDetector.Detect(source.Text);
        var patched = TunPatcher.Apply(source.Text, profile, request.Policy, tunables);

        var notes = new List<string>();
        var vnetHeader = !profile.NeedsVnetHeader ? "not needed"
            : source.VnetHeader is not null ? "copied from the input's tree"
            : "missing: this tun.c includes tun_vnet.h (Linux 6.15+); copy drivers/net/tun_vnet.h of the same tree beside tun.c before `kmb build`";
        if (profile.NeedsVnetHeader && source.VnetHeader is null)
            notes.Add(vnetHeader);

        string? patchName = null;
        string? patch = null;
        if (request.Policy != Policy.Stock)
        {
            var subject = PolicyDescription.Subject(request.Policy);
            patchName = "0001-" + subject.Replace("tun: ", "tun-").Replace(' ', '-') + ".patch";
            patch = await PatchFormatter.FormatAsync(source.Text, patched, request.Author, subject,
                PolicyDescription.Message(request.Policy, tunables), DateTimeOffset.Now, ct);
        }
        else
        {
            notes.Add("stock: tun.c is unchanged, so there is no patch");
        }

        var files = new List<string> { "tun.c", "Kbuild", "Makefile", Manifest.FileName };
        if (profile.NeedsVnetHeader && source.VnetHeader is not null)
            files.Add(TunSource.VnetHeaderName);
        if (patchName is not null)
            files.Add(patchName);

        var manifest = new Manifest(
            Tool: "KmodBalance",
            ToolVersion: Manifest.ToolVersionString,
            GeneratedAt: DateTimeOffset.UtcNow,
            Input: new ManifestInput(source.Origin, Manifest.Sha256Of(source.Text)),
            KernelApiProfile: profile.Summary,
            Policy: request.Policy.Name(),
            Tunables: request.Policy == Policy.Dynamic ? new ManifestTunables(tunables.Threshold, tunables.PeriodMs) : null,
            Patch: patchName,
            VnetHeader: vnetHeader,
            Files: files.Order(StringComparer.Ordinal).ToList());

        await AtomicDirectory.WriteAsync(request.OutDir, async dir =>
        {
            await File.WriteAllTextAsync(Path.Combine(dir, "tun.c"), patched, ct);
            await File.WriteAllTextAsync(Path.Combine(dir, "Kbuild"), KmodFile("Kbuild"), ct);
            await File.WriteAllTextAsync(Path.Combine(dir, "Makefile"), KmodFile("Makefile"), ct);
            if (profile.NeedsVnetHeader && source.VnetHeader is not null)
                await File.WriteAllTextAsync(Path.Combine(dir, TunSource.VnetHeaderName), source.VnetHeader, ct);
            if (patch is not null)
                await File.WriteAllTextAsync(Path.Combine(dir, patchName!), patch, ct);
            await File.WriteAllTextAsync(Path.Combine(dir, Manifest.FileName), manifest.ToJson(), ct);
        });
        return new GenerateResult(Path.GetFullPath(request.OutDir), manifest, notes);
    }

    private static string KmodFile(string name)
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("kmod/" + name)
            ?? throw new InvalidOperationException($"kmod/{name} is not embedded in the generator");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
