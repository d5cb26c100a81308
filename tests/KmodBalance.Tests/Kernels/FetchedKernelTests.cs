using FluentAssertions;
using KmodBalance.Generator;
using KmodBalance.Generator.Build;
using KmodBalance.Generator.Kernels;
using KmodBalance.Generator.Output;
using KmodBalance.Generator.Source;
using KmodBalance.Tests.Support;

namespace KmodBalance.Tests.Kernels;

/// <summary>
/// Debian's 5.10 (bullseye) and 6.12 (bookworm-backports) kernels as build targets: each is
/// fetched once into the state dir (kept between runs; a fetch of a cached one is a no-op),
/// then hash and dynamic are generated from its own tun.c, built with W=1 against its own
/// headers with its own compiler, and checked with its own checkpatch. The 6.1 counterpart,
/// on the installed kernel, is DebianKernelTests.
/// </summary>
public sealed class FetchedKernels : IAsyncLifetime
{
    public static readonly string[] Generations = ["5.10", "6.12"];
    public static readonly Policy[] Policies = [Policy.Hash, Policy.Dynamic, Policy.Adaptive];

    public TempDir Dir { get; } = new();
    public Dictionary<string, KernelRecord> Records { get; } = [];
    public Dictionary<(string Generation, Policy Policy), (GenerateResult Generated, BuildResult Built)> Modules { get; } = [];
    public List<string> Log { get; } = [];

    public async Task InitializeAsync()
    {
        var store = new KernelStore(StateDirectory.DefaultPath);
        foreach (var name in Generations)
        {
            var record = await store.EnsureAsync(KernelGeneration.Parse(name), Log.Add, CancellationToken.None);
            Records[name] = record;
            var source = await TunSourceLocator.ReadAsync(null, record.SourceTree, CancellationToken.None);
            foreach (var policy in Policies)
            {
                var outDir = Dir.Combine(name, policy.Name());
                var generated = await TunGenerator.GenerateAsync(
                    new GenerateRequest(source, policy, new Tunables(), outDir, new PatchAuthor("Test Author", "test@example.org")),
                    CancellationToken.None);
                var built = await KbuildRunner.BuildAsync(outDir, record.HeadersDir, extraWarnings: true, CancellationToken.None);
                Modules[(name, policy)] = (generated, built);
            }
        }
    }

    public Task DisposeAsync()
    {
        Dir.Dispose();
        return Task.CompletedTask;
    }
}

[Trait("Category", "Kernel")]
public class FetchedKernelTests(FetchedKernels kernels) : IClassFixture<FetchedKernels>
{
    public static TheoryData<string, Policy> Cells()
    {
        var data = new TheoryData<string, Policy>();
        foreach (var g in FetchedKernels.Generations)
            foreach (var p in FetchedKernels.Policies)
                data.Add(g, p);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cells))]
    public void Builds_with_W1_without_a_warning_for_that_kernels_release(string generation, Policy policy)
    {
        var built = kernels.Modules[(generation, policy)].Built;

        built.Warnings.Should().BeEmpty();
        File.Exists(built.Module).Should().BeTrue();
        built.Vermagic.Should().StartWith(kernels.Records[generation].Release + " ");
    }

    [Theory]
    [MemberData(nameof(Cells))]
    public async Task That_trees_own_checkpatch_strict_reports_nothing_on_the_patch(string generation, Policy policy)
    {
        var generated = kernels.Modules[(generation, policy)].Generated;
        var patch = Path.Combine(generated.OutDir, generated.Manifest.Patch!);

        var run = await Processes.RunAsync("perl", [.. KmodBalance.Harness.Matrix.Checkpatch.Arguments(kernels.Records[generation].Checkpatch, patch)]);

        run.StandardOutput.Should().Contain("total: 0 errors, 0 warnings, 0 checks");
        run.ExitCode.Should().Be(0);
    }

    [Theory]
    [MemberData(nameof(Cells))]
    public async Task The_module_is_compiled_by_the_compiler_that_built_the_kernel(string generation, Policy policy)
    {
        var record = kernels.Records[generation];
        var comment = await Processes.RunAsync("readelf", ["-p", ".comment", kernels.Modules[(generation, policy)].Built.Module]);
        // CONFIG_CC_VERSION_TEXT "gcc-10 (Debian 10.2.1-6) 10.2.1 20210110" -> "(Debian 10.2.1-6) 10.2.1 20210110"
        var version = record.KernelCompiler![record.KernelCompiler!.IndexOf('(')..];

        comment.StandardOutput.Should().Contain("GCC: " + version);
    }

    [Theory]
    [MemberData(nameof(Cells))]
    public void The_input_is_that_generations_tun_c(string generation, Policy policy)
    {
        var record = kernels.Records[generation];
        var manifest = kernels.Modules[(generation, policy)].Generated.Manifest;

        manifest.Input.Sha256.Should().Be(Manifest.Sha256Of(File.ReadAllText(record.TunC)));
        manifest.KernelApiProfile.Should().Contain("SbDev (Linux 5.2+)").And.Contain("eBPF steering");
    }

    [Fact]
    public void The_5_10_kernel_was_built_with_gcc_10_and_its_modules_are_too()
    {
        var record = kernels.Records["5.10"];

        record.Compiler.Should().Be("gcc-10");
        record.KernelCompiler.Should().StartWith("gcc-10 ");
        record.CompilerVersion.Should().StartWith("gcc-10 ");
    }

    [Fact]
    public void The_6_12_kernel_comes_from_bookworm_backports_built_with_gcc_12()
    {
        var record = kernels.Records["6.12"];

        record.Distribution.Should().Be("bookworm-backports");
        record.Release.Should().StartWith("6.12.");
        record.Compiler.Should().Be("gcc-12");
    }

    [Theory]
    [InlineData("5.10")]
    [InlineData("6.12")]
    public async Task A_second_fetch_is_a_no_op(string generation)
    {
        var said = new List<string>();

        var (record, fetched) = await new KernelStore(StateDirectory.DefaultPath)
            .FetchAsync(KernelGeneration.Parse(generation), refresh: false, said.Add, CancellationToken.None);

        fetched.Should().BeFalse();
        said.Should().BeEmpty();
        record.Should().BeEquivalentTo(kernels.Records[generation]);
    }

    [Theory]
    [InlineData("5.10")]
    [InlineData("6.12")]
    public void The_unpacked_tree_points_nowhere_outside_the_state_dir(string generation)
    {
        var record = kernels.Records[generation];
        var build = new DirectoryInfo(Path.Combine(record.ModulesDir, "build"));

        build.LinkTarget.Should().NotStartWith("/");
        record.AsKernel().HeadersDir.Should().Be(build.FullName);
        File.Exists(Path.Combine(record.AsKernel().HeadersDir, "include", "generated", "utsrelease.h")).Should().BeTrue();
        File.Exists(record.AsKernel().VmlinuzPath).Should().BeTrue();
        build.ResolveLinkTarget(returnFinalTarget: true)!.FullName.Should().Be(record.HeadersDir);
        File.ReadAllText(Path.Combine(record.HeadersDir, "Makefile")).Should().NotContain("include /usr/src/");
    }
}
