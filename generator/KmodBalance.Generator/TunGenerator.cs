using System.Reflection;
using KmodBalance.Generator.Detection;
using KmodBalance.Generator.Output;
using KmodBalance.Generator.Rendering;
using KmodBalance.Generator.Source;

namespace KmodBalance.Generator;

/// <summary>
/// `kmb generate`: check the input is a whole, unpatched tun.c, detect its kernel API generation,
/// patch it for the policy, and write tun.c, the Kbuild files, the patch and manifest.json atomically.
/// </summary>
public static class TunGenerator
{
    /// <summary>Renders, then writes <see cref="GenerateRequest.OutDir"/> under the output-directory rule.</summary>
    public static async Task<GenerateResult> GenerateAsync(GenerateRequest request, CancellationToken ct)
    {
        using var output = await OutputDirectory.OpenAsync(request.OutDir, [request.Source.InputFile], waiting: null, ct);
        var files = await RenderAsync(request, ct);
        await output.ReplaceAsync(files.WriteIntoAsync);
        return new GenerateResult(output.FullPath, files.Manifest, files.Notes);
    }

    /// <summary>Every output file, in memory; <see cref="GenerateRequest.OutDir"/> is not touched.</summary>
    /// <exception cref="KmbException">Exit 2: the input is cut short, already patched, or of an unknown shape.</exception>
    public static async Task<GeneratedFiles> RenderAsync(GenerateRequest request, CancellationToken ct)
    {
        var tunables = request.Tunables.Validated();
        var source = request.Source;
        TunSourceCheck.Validate(source);
        var profile = ApiDetector.Detect(source.Text);
        var patched = TunPatcher.Apply(source.Text, profile, request.Policy, tunables);

        var notes = new List<string>();
        var vnetHeader = !profile.NeedsVnetHeader ? "not needed"
            : source.VnetHeader is not null ? "copied from the input's tree"
            : "missing: this tun.c includes tun_vnet.h (Linux 6.15+); copy drivers/net/tun_vnet.h of the same tree beside tun.c before `kmb build`";
        if (profile.NeedsVnetHeader && source.VnetHeader is null)
            notes.Add(vnetHeader);

        var contents = new Dictionary<string, string>
        {
            ["tun.c"] = patched,
            ["Kbuild"] = KmodFile("Kbuild"),
            ["Makefile"] = KmodFile("Makefile"),
        };
        if (profile.NeedsVnetHeader && source.VnetHeader is not null)
            contents[TunSource.VnetHeaderName] = source.VnetHeader;
        string? patchName = null;
        if (request.Policy != Policy.Stock)
        {
            var subject = PolicyDescription.Subject(request.Policy);
            patchName = "0001-" + subject.Replace("tun: ", "tun-").Replace(' ', '-') + ".patch";
            contents[patchName] = await PatchFormatter.FormatAsync(source.Text, patched, request.Author, subject,
                PolicyDescription.Message(request.Policy, tunables), DateTimeOffset.Now, ct);
        }
        else
        {
            notes.Add("stock: tun.c is unchanged, so there is no patch");
        }

        var manifest = new Manifest(
            Tool: Manifest.ToolName,
            ToolVersion: Manifest.ToolVersionString,
            GeneratedAt: DateTimeOffset.UtcNow,
            Input: new ManifestInput(source.Origin, Manifest.Sha256Of(source.Text)),
            KernelApiProfile: profile.Summary,
            Policy: request.Policy.Name(),
            Tunables: request.Policy.Remaps() ? new ManifestTunables(tunables.Threshold, tunables.PeriodMs) : null,
            Patch: patchName,
            VnetHeader: vnetHeader,
            Files: [.. contents.Keys.Append(Manifest.FileName).Order(StringComparer.Ordinal)]);
        contents[Manifest.FileName] = manifest.ToJson();
        return new GeneratedFiles(contents, manifest, notes);
    }

    private static string KmodFile(string name)
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("kmod/" + name)
            ?? throw new InvalidOperationException($"kmod/{name} is not embedded in the generator");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
