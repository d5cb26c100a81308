using FluentAssertions;
using KmodBalance.Generator.Build;
using KmodBalance.Harness.Images;
using KmodBalance.Harness.Infrastructure;
using Xunit;

namespace KmodBalance.Tests.Steering;

/// <summary>`input-optional` in an image recipe: kmbsteer is in the eBPF back end's L1 image and absent
/// from the module's, whose image is otherwise the same.</summary>
public sealed class OptionalImageInputTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("kmb-optin-").FullName;
    private static readonly InstalledKernel Kernel = new("6.1.0-99-cloud-amd64", "/nonexistent/vmlinuz", "/nonexistent/modules");

    public void Dispose() => Directory.Delete(_dir, true);

    private string Write(string name, string text) { var p = Path.Combine(_dir, name); File.WriteAllText(p, text); return p; }

    private Task<ImagePlan> PlanAsync(Dictionary<string, string> inputs) =>
        ImagePlanner.PlanAsync(ImageRecipe.Load(Write("image.recipe",
            "name t\ninput tun.ko /opt/kmb/tun.ko 0644\ninput-optional kmbsteer /opt/kmb/kmbsteer 0755\n")), Kernel, inputs, _dir, default);

    [Fact]
    public void Parses_as_an_optional_input() =>
        ImageRecipe.Parse("input-optional kmbsteer /opt/kmb/kmbsteer 0755", "/r").Should().ContainSingle()
            .Which.Should().Be(new RecipeDirective.Input("kmbsteer", "/opt/kmb/kmbsteer", 0x1ED, Optional: true));

    [Fact]
    public async Task Is_left_out_unless_given_and_then_changes_the_key()
    {
        var tun = Write("tun.ko", "stock tun");
        var without = await PlanAsync(new() { ["tun.ko"] = tun });
        var with = await PlanAsync(new() { ["tun.ko"] = tun, ["kmbsteer"] = Write("kmbsteer", "ELF") });

        without.Entries.Select(e => e.Name).Should().Contain("opt/kmb/tun.ko").And.NotContain("opt/kmb/kmbsteer");
        with.Entries.OfType<CpioFile>().Should().ContainSingle(e => e.Name == "opt/kmb/kmbsteer").Which.Mode.Should().Be(0x1ED);
        with.CacheKey.Should().NotBe(without.CacheKey);
    }

    [Fact]
    public async Task A_given_but_missing_file_is_still_an_error() =>
        await FluentActions.Awaiting(() => PlanAsync(new() { ["tun.ko"] = Write("tun.ko", "x"), ["kmbsteer"] = Path.Combine(_dir, "nope") }))
            .Should().ThrowAsync<LabStepException>().WithMessage("*kmbsteer*");

    [Fact]
    public async Task A_plain_input_stays_required() =>
        await FluentActions.Awaiting(() => PlanAsync(new() { ["kmbsteer"] = Write("kmbsteer", "ELF") }))
            .Should().ThrowAsync<LabStepException>().WithMessage("*tun.ko*");

    [Fact]
    public void The_l1_recipe_carries_kmbsteer_and_its_script()
    {
        var recipe = ImageRecipe.Load(Path.Combine(KmodBalance.Harness.Lab.LabEnvironment.LocateVmImages(null), "l1", "image.recipe"));
        recipe.Directives.OfType<RecipeDirective.Input>().Should().ContainSingle(i => i.InputName == "kmbsteer" && i.Optional);
        recipe.Directives.OfType<RecipeDirective.File>().Should().Contain(f => f.Dest == "/opt/kmb/steer.sh");
    }
}
