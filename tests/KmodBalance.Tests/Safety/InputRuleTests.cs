using FluentAssertions;
using KmodBalance.Generator.Source;
using KmodBalance.Tests.Support;

namespace KmodBalance.Tests.Safety;

/// <summary>The input rule: a whole, unpatched tun.c, read from what the user named.</summary>
public class InputRuleTests
{
    [Theory]
    [InlineData(28)]  // inside a function body
    [InlineData(60)]  // cut after a function's head line
    [InlineData(107)] // inside the last function
    public async Task A_tun_c_cut_short_is_refused(int lines)
    {
        using var temp = new TempDir();
        var cut = temp.Combine("h.c");
        File.WriteAllLines(cut, File.ReadLines(Fixtures.TunC("linux-5.10")).Take(lines));

        var run = await Kmb.RunAsync("generate", "--tun-c", cut, "--out", temp.Combine("o"));

        run.ExitCode.Should().Be(2);
        run.StandardError.Should().Contain("not a complete tun.c").And.Contain("cut short");
        Directory.Exists(temp.Combine("o")).Should().BeFalse();
    }

    [Fact]
    public void A_kernel_tun_c_must_end_with_its_module_lines()
    {
        var whole = Fixtures.ReadTunC("linux-5.10") +
            "\nmodule_init(tun_init);\nmodule_exit(tun_cleanup);\nMODULE_LICENSE(\"GPL\");\n";
        var cutAfterInit = whole[..(whole.IndexOf("module_exit", StringComparison.Ordinal))];

        TunSourceCheck.Incompleteness(whole).Should().BeNull();
        TunSourceCheck.Incompleteness(cutAfterInit).Should().Contain("module_exit(");
    }

    [Fact]
    public void A_file_cut_at_a_function_boundary_before_the_module_macros_is_refused()
    {
        TunSourceCheck.Incompleteness("int f(void)\n{\n\treturn 0;\n}\n").Should().Contain("no module_init()");
    }

    [Fact]
    public void Brackets_in_comments_and_literals_do_not_count()
    {
        const string text = "/* { ( */\nstatic const char *s = \"}\";\nstatic char c = ')';\n// {\nint f(void)\n{\n\treturn 0;\n}\n" +
            "module_init(f);\nmodule_exit(f);\nMODULE_LICENSE(\"GPL\");\n";

        TunSourceCheck.Incompleteness(text).Should().BeNull();
        TunSourceCheck.Incompleteness(text + "/* no end").Should().Contain("never ends");
    }

    [Fact]
    public async Task Its_own_output_fed_back_is_called_already_patched()
    {
        using var temp = new TempDir();
        await Kmb.GenerateFixtureAsync(temp.Combine("dyn"));

        var run = await Kmb.RunAsync("generate", "--tun-c", temp.Combine("dyn", "tun.c"), "--out", temp.Combine("again"));

        run.ExitCode.Should().Be(2);
        run.StandardError.Should().Contain("already patched by kmb");
    }

    [Fact]
    public async Task A_directory_given_as_tun_c_is_named_a_directory()
    {
        using var temp = new TempDir();

        var run = await Kmb.RunAsync("generate", "--tun-c", temp.Path, "--out", temp.Combine("o"));

        run.ExitCode.Should().Be(2);
        run.StandardError.Should().Contain("is a directory");
    }

    [Fact]
    public async Task A_kernel_source_that_is_not_a_tarball_says_so()
    {
        using var temp = new TempDir();
        var fake = temp.Combine("x.tar.gz");
        File.WriteAllText(fake, "not a tarball\n");

        var run = await Kmb.RunAsync("generate", "--kernel-source", fake, "--out", temp.Combine("o"));

        run.ExitCode.Should().Be(2);
        run.StandardError.Should().Contain($"{fake}: not a readable tar archive").And.NotContain("holds no");
    }

    [Fact]
    public async Task A_cut_compressed_tarball_shows_the_decompressors_own_error()
    {
        using var temp = new TempDir();
        var cut = temp.Combine("cut.tar.xz");
        var head = new byte[100_000];
        using (var whole = File.OpenRead(KmodBalance.Generator.Source.TunSourceLocator.FindInstalledTarball()))
            whole.ReadExactly(head);
        File.WriteAllBytes(cut, head);

        var run = await Kmb.RunAsync("generate", "--kernel-source", cut, "--out", temp.Combine("o"));

        run.ExitCode.Should().Be(2);
        run.StandardError.Should().Contain($"{cut}: xz cannot decompress it: xz: {cut}: Unexpected end of input");
        Directory.Exists(temp.Combine("o")).Should().BeFalse();
    }
}
