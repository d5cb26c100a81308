using FluentAssertions;
using KmodBalance.Generator;
using KmodBalance.Generator.Build;
using KmodBalance.Generator.Output;
using KmodBalance.Generator.Source;
using KmodBalance.Tests.Support;

namespace KmodBalance.Tests.Generator;

/// <summary>
/// The real thing: Debian's 6.1 tun.c from the installed linux-source tarball, each policy
/// generated and built with W=1 against the installed headers, and checkpatch run on the
/// patches. The tarball is read once for the whole class.
/// </summary>
public sealed class DebianKernelSource : IAsyncLifetime
{
    private static readonly string[] CheckpatchFiles =
        ["scripts/checkpatch.pl", "scripts/spelling.txt", "scripts/const_structs.checkpatch"];

    public TempDir Dir { get; } = new();
    public TunSource Source { get; private set; } = null!;
    public InstalledKernel Kernel { get; } = InstalledKernel.Find();
    public string Checkpatch => Dir.Combine("scripts", "checkpatch.pl");
    public Dictionary<Policy, (GenerateResult Generated, BuildResult Built)> Modules { get; } = [];

    public async Task InitializeAsync()
    {
        var tarball = TunSourceLocator.FindInstalledTarball();
        Source = await TunSourceLocator.ReadAsync(null, tarball, CancellationToken.None);
        var scripts = await TarballReader.ExtractAsync(tarball, CheckpatchFiles, CancellationToken.None);
        foreach (var (path, text) in scripts)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Dir.Combine(path))!);
            File.WriteAllText(Dir.Combine(path), text);
        }
        foreach (var policy in Enum.GetValues<Policy>())
        {
            var outDir = Dir.Combine(policy.Name());
            var generated = await TunGenerator.GenerateAsync(
                new GenerateRequest(Source, policy, new Tunables(), outDir, new PatchAuthor("Test Author", "test@example.org")),
                CancellationToken.None);
            var built = await KbuildRunner.BuildAsync(outDir, Kernel.HeadersDir, extraWarnings: true, CancellationToken.None);
            Modules[policy] = (generated, built);
        }
    }

    public Task DisposeAsync()
    {
        Dir.Dispose();
        return Task.CompletedTask;
    }
}

[Trait("Category", "Kernel")]
public class DebianKernelTests(DebianKernelSource kernel) : IClassFixture<DebianKernelSource>
{
    [Theory]
    [InlineData(Policy.Stock)]
    [InlineData(Policy.Hash)]
    [InlineData(Policy.Dynamic)]
    public void Every_policy_builds_with_W1_without_warnings_and_the_headers_vermagic(Policy policy)
    {
        var built = kernel.Modules[policy].Built;

        built.Warnings.Should().BeEmpty();
        File.Exists(built.Module).Should().BeTrue();
        built.Vermagic.Should().StartWith(kernel.Kernel.Release + " ");
    }

    [Fact]
    public async Task The_dynamic_module_carries_its_tunables_and_the_opt_in_switch()
    {
        var parms = await KbuildRunner.ModinfoAsync(kernel.Modules[Policy.Dynamic].Built.Module, "parm", CancellationToken.None);

        parms.Should().Contain("balance_threshold:").And.Contain("balance_period_ms:").And.Contain("segments per period")
            .And.Contain("balance_default:");
    }

    [Fact]
    public async Task Hash_has_only_the_opt_in_switch_and_stock_has_no_parameter()
    {
        var hash = await KbuildRunner.ModinfoAsync(kernel.Modules[Policy.Hash].Built.Module, "parm", CancellationToken.None);
        var stock = await KbuildRunner.ModinfoAsync(kernel.Modules[Policy.Stock].Built.Module, "parm", CancellationToken.None);

        hash.Should().Contain("balance_default:").And.NotContain("balance_threshold").And.NotContain("balance_period_ms");
        stock.Should().NotContain("balance_");
    }

    [Theory]
    [InlineData(Policy.Hash)]
    [InlineData(Policy.Dynamic)]
    public async Task Checkpatch_reports_no_error_warning_or_check_on_the_patch(Policy policy)
    {
        var generated = kernel.Modules[policy].Generated;
        var patch = Path.Combine(generated.OutDir, generated.Manifest.Patch!);

        var run = await Processes.RunAsync("perl", [.. KmodBalance.Harness.Matrix.Checkpatch.Arguments(kernel.Checkpatch, patch)]);

        run.StandardOutput.Should().Contain("total: 0 errors, 0 warnings, 0 checks");
        run.ExitCode.Should().Be(0);
    }

    [Fact]
    public void The_detected_profile_is_the_5_2_plus_generation_with_ebpf_steering()
    {
        var profile = kernel.Modules[Policy.Dynamic].Generated.Manifest.KernelApiProfile;

        profile.Should().Contain("SbDev (Linux 5.2+)").And.Contain("timer_setup/from_timer").And.Contain("eBPF steering")
            .And.Contain("sysfs attributes");
    }
}
