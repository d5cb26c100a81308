using FluentAssertions;
using KmodBalance.Generator.Build;
using KmodBalance.Harness.Images;
using KmodBalance.Harness.Infrastructure;
using Xunit;

namespace KmodBalance.Tests.Lab;

public sealed class ImageCacheKeyTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("kmb-key-").FullName;
    private static readonly InstalledKernel Kernel = new("6.1.0-99-cloud-amd64", "/nonexistent/vmlinuz", "/nonexistent/modules");

    public void Dispose() => Directory.Delete(_dir, true);

    private string Write(string name, string text) { var p = Path.Combine(_dir, name); File.WriteAllText(p, text); return p; }

    private async Task<string> KeyAsync(InstalledKernel? kernel = null)
    {
        var recipe = ImageRecipe.Load(Path.Combine(_dir, "image.recipe"));
        var plan = await ImagePlanner.PlanAsync(recipe, kernel ?? Kernel, new Dictionary<string, string> { ["tun.ko"] = Path.Combine(_dir, "tun.ko") }, _dir, default);
        return plan.CacheKey;
    }

    private void Setup()
    {
        Write("image.recipe", "name t\ndir /tmp 1777\nfile rcS /etc/init.d/rcS 0755\ninput tun.ko /opt/kmb/tun.ko 0644\nsecret host_key /etc/k 0600\n");
        Write("rcS", "#!/bin/sh\necho ready\n");
        Write("tun.ko", "module v1");
    }

    [Fact]
    public async Task Same_inputs_same_key()
    {
        Setup();
        (await KeyAsync()).Should().Be(await KeyAsync());
    }

    [Fact]
    public async Task Key_changes_when_the_module_changes()
    {
        Setup();
        var before = await KeyAsync();
        Write("tun.ko", "module v2");
        (await KeyAsync()).Should().NotBe(before);
    }

    [Fact]
    public async Task Key_changes_when_a_recipe_file_or_the_recipe_changes()
    {
        Setup();
        var k0 = await KeyAsync();
        Write("rcS", "#!/bin/sh\necho READY\n");
        var k1 = await KeyAsync();
        File.AppendAllText(Path.Combine(_dir, "image.recipe"), "dir /mnt 0755\n");
        var k2 = await KeyAsync();
        new[] { k0, k1, k2 }.Should().OnlyHaveUniqueItems();
    }

    [Fact]
    public async Task Key_changes_with_the_kernel_release()
    {
        Setup();
        var k0 = await KeyAsync();
        (await KeyAsync(Kernel with { Release = "6.1.0-100-cloud-amd64" })).Should().NotBe(k0);
    }

    [Fact]
    public async Task Missing_input_names_the_step()
    {
        Setup();
        File.Delete(Path.Combine(_dir, "tun.ko"));
        var act = () => KeyAsync();
        (await act.Should().ThrowAsync<LabStepException>()).Which.Message.Should().StartWith("[prepare-images]").And.Contain("tun.ko");
    }
}
