using FluentAssertions;
using KmodBalance.Generator;
using KmodBalance.Generator.Kernels;
using KmodBalance.Tests.Support;

namespace KmodBalance.Tests.Kernels;

public class KernelGenerationTests
{
    [Theory]
    [InlineData("5.10", "bullseye")]
    [InlineData("6.1", "bookworm")]
    [InlineData("6.12", "bookworm-backports")]
    [InlineData("v6.12", "bookworm-backports")]
    [InlineData("linux-5.10", "bullseye")]
    [InlineData(" 6.1 ", "bookworm")]
    public void Supported_generations_parse_to_their_distribution(string name, string distribution)
    {
        KernelGeneration.Parse(name).Distribution.Should().Be(distribution);
    }

    [Theory]
    [InlineData("4.4")]
    [InlineData("6.11")]
    [InlineData("5.1")]
    [InlineData("6")]
    [InlineData("")]
    [InlineData(null)]
    public void Other_generations_are_bad_input_naming_the_supported_ones(string? name)
    {
        var act = () => KernelGeneration.Parse(name);

        act.Should().Throw<KmbException>()
            .Where(e => e.ExitCode == 2)
            .WithMessage("*unsupported kernel generation*5.10, 6.1, 6.12*");
    }

    [Fact]
    public void Each_generation_names_its_linux_source_package()
    {
        KernelGeneration.All.Select(g => g.SourcePackage).Should()
            .Equal("linux-source-5.10", "linux-source-6.1", "linux-source-6.12");
    }

    [Fact]
    public void Every_suite_is_on_debs_archive()
    {
        KernelGeneration.All.SelectMany(g => g.Suites).Select(s => s.Uri)
            .Should().OnlyContain(u => u.StartsWith("http://deb.debian.org/"));
    }

    [Fact]
    public async Task Kmb_kernel_fetch_of_an_unsupported_generation_exits_2_naming_the_supported_ones()
    {
        using var state = new TempDir();

        var run = await Processes.KmbAsync("kernel", "fetch", "4.4", "--state-dir", state.Path);

        run.ExitCode.Should().Be(2);
        run.StandardError.Should().Contain("unsupported kernel generation '4.4'").And.Contain("5.10, 6.1, 6.12");
        Directory.EnumerateFileSystemEntries(state.Path).Should().BeEmpty("nothing is fetched for bad input");
    }

    [Fact]
    public async Task One_bad_name_among_several_fetches_nothing()
    {
        using var state = new TempDir();

        var run = await Processes.KmbAsync("kernel", "fetch", "5.10", "6.13", "--state-dir", state.Path);

        run.ExitCode.Should().Be(2);
        run.StandardError.Should().Contain("'6.13'");
        Directory.EnumerateFileSystemEntries(state.Path).Should().BeEmpty();
    }

    [Theory]
    [InlineData("generate", "--out", "x", "--kernel", "3.2")]
    [InlineData("build", "nowhere", "--kernel", "3.2")]
    public async Task Generate_and_build_refuse_an_unsupported_kernel_with_exit_2(params string[] args)
    {
        var run = await Processes.KmbAsync(args);

        run.ExitCode.Should().Be(2);
        run.StandardError.Should().Contain("unsupported kernel generation '3.2'");
    }

    [Fact]
    public async Task Kmb_kernel_list_on_an_empty_state_dir_lists_every_generation_as_not_fetched()
    {
        using var state = new TempDir();

        var run = await Processes.KmbAsync("kernel", "list", "--state-dir", state.Path);

        run.ExitCode.Should().Be(0);
        var lines = run.StandardOutput.Split('\n');
        foreach (var g in new[] { "5.10", "6.1", "6.12" })
            lines.Should().Contain(l => l.StartsWith(g + " ") && l.EndsWith("not fetched"));
    }
}
