using KmodBalance.Generator.Build;
using KmodBalance.Harness.Images;

namespace KmodBalance.Harness.Lab.Steps;

public sealed record LabImages(BuiltImage Guest, BuiltImage? LabHost);

/// <summary>Builds (or reuses) the L2 guest image, then the L1 lab-host image holding it, tun.ko and
/// the lab tools (mqtap, udpflows, tapstress: compiled from kmod/lab-tools, cached by source hash).</summary>
public static class PrepareImagesStep
{
    /// <param name="extraInputs">More inputs of the L1 image (its recipe's `input-optional` ones: kmbsteer).</param>
    public static async Task<LabImages> RunAsync(string vmImagesDir, string stateDir, InstalledKernel kernel, string? tunKo,
        IProgress<string> progress, CancellationToken ct, IReadOnlyDictionary<string, string>? extraInputs = null)
    {
        var builder = new ImageBuilder(stateDir);
        var guest = await builder.BuildAsync(Path.Combine(vmImagesDir, "guest", "image.recipe"), kernel, new Dictionary<string, string>(), progress, ct);
        progress.Report(Describe(guest));
        if (tunKo is null) return new LabImages(guest, null);
        var inputs = new Dictionary<string, string> { ["tun.ko"] = tunKo, ["l2.cpio"] = guest.ImagePath };
        foreach (var (name, path) in await LabTools.BuildAsync(LabTools.SourceDir(vmImagesDir), stateDir, progress, ct))
            inputs[name] = path;
        foreach (var (name, path) in extraInputs ?? new Dictionary<string, string>())
            inputs[name] = path;
        var l1 = await builder.BuildAsync(Path.Combine(vmImagesDir, "l1", "image.recipe"), kernel, inputs, progress, ct);
        progress.Report(Describe(l1));
        return new LabImages(guest, l1);
    }

    public static string Describe(BuiltImage i) =>
        $"image {i.Name}: {i.SizeBytes / 1048576.0:0.0} MiB, {(i.FromCache ? "from cache" : "built")} in {i.Seconds:0.0} s -> {i.ImagePath}";
}
