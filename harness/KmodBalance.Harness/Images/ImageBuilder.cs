using System.Diagnostics;
using KmodBalance.Generator.Build;
using KmodBalance.Harness.Infrastructure;

namespace KmodBalance.Harness.Images;

/// <summary>A ready image: the initramfs plus the SSH material to reach the VM booted from it.</summary>
public sealed record BuiltImage(string Name, string ImagePath, string CacheKey, long SizeBytes, double Seconds, bool FromCache, SshKeyMaterial Keys);

/// <summary>Builds an initramfs from a recipe, or reuses the cached one with the same input hash.</summary>
public sealed class ImageBuilder(string stateDir)
{
    private readonly ImageCache _cache = new(stateDir);

    public async Task<BuiltImage> BuildAsync(string recipePath, InstalledKernel kernel, IReadOnlyDictionary<string, string> inputs,
        IProgress<string>? progress, CancellationToken ct)
    {
        var sw = Stopwatch.StartNew();
        var recipe = ImageRecipe.Load(recipePath);
        var scratch = _cache.NewScratchDir(recipe.Name);
        try
        {
            var plan = await ImagePlanner.PlanAsync(recipe, kernel, inputs, scratch, ct);
            if (_cache.TryGet(plan.Name, plan.CacheKey, out var cached))
            {
                Directory.Delete(scratch, true);
                return Result(plan, cached, sw, fromCache: true);
            }
            progress?.Report($"building image `{plan.Name}` ({plan.Entries.Count} entries, key {plan.CacheKey[..16]})");
            var keys = await SshKeyMaterial.GenerateAsync(scratch, ct);
            var secretEntries = plan.Secrets.Select(s => new CpioFile(RootfsLayout.Normalize(s.Dest), s.Mode, SecretSource(keys, s, scratch)));
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None, BufferSize = 1 << 20 };
            if (!OperatingSystem.IsWindows())
                options.UnixCreateMode = ImageCache.SecretMode; // it holds the guest's host key and authorized_keys
            await using (var fs = new FileStream(Path.Combine(scratch, ImageCache.ImageFile), options))
            {
                CpioWriter.Write(fs, plan.Entries.Concat(secretEntries));
            }
            await File.WriteAllTextAsync(Path.Combine(scratch, "manifest.txt"), plan.Manifest, ct);
            var dir = _cache.Publish(scratch, plan.Name, plan.CacheKey);
            return Result(plan, dir, sw, fromCache: false);
        }
        catch
        {
            if (Directory.Exists(scratch)) Directory.Delete(scratch, true);
            throw;
        }
    }

    private static string SecretSource(SshKeyMaterial keys, RecipeDirective.Secret s, string dir) => s.SecretName switch
    {
        "host_key" => keys.HostKeyPath,
        "authorized_keys" => Path.Combine(dir, SshKeyMaterial.AuthorizedKeysFile),
        _ => throw new LabStepException("prepare-images", $"unknown secret `{s.SecretName}` (known: host_key, authorized_keys)"),
    };

    private static BuiltImage Result(ImagePlan plan, string dir, Stopwatch sw, bool fromCache)
    {
        var image = Path.Combine(dir, ImageCache.ImageFile);
        return new BuiltImage(plan.Name, image, plan.CacheKey, new FileInfo(image).Length, sw.Elapsed.TotalSeconds, fromCache, SshKeyMaterial.Load(dir));
    }
}
