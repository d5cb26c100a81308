using System.Text.Json;
using FluentAssertions;
using KmodBalance.Generator;
using KmodBalance.Generator.Output;
using KmodBalance.Generator.Source;
using KmodBalance.Tests.Support;

namespace KmodBalance.Tests.Generator;

/// <summary>`generate` end to end on the fixtures: files, manifest, patch, atomicity, CLI errors.</summary>
public class GenerateTests
{
    private static readonly PatchAuthor Author = new("Test Author", "test@example.org");

    private static async Task<GenerateResult> GenerateAsync(string generation, Policy policy, string outDir, Tunables? tunables = null)
    {
        var source = await TunSourceLocator.ReadAsync(Fixtures.TunC(generation), null, CancellationToken.None);
        return await TunGenerator.GenerateAsync(new GenerateRequest(source, policy, tunables ?? new Tunables(), outDir, Author), CancellationToken.None);
    }

    [Fact]
    public async Task Writes_tun_c_kbuild_files_patch_and_a_manifest_of_the_input()
    {
        using var temp = new TempDir();
        var outDir = temp.Combine("dyn");

        await GenerateAsync("linux-5.10", Policy.Dynamic, outDir, new Tunables(32, 100));

        Directory.GetFiles(outDir).Select(Path.GetFileName).Should().BeEquivalentTo(
            "tun.c", "Kbuild", "Makefile", "manifest.json", "0001-tun-balance-flows-across-queues-by-load.patch");
        File.ReadAllText(Path.Combine(outDir, "Kbuild")).Should().Contain("obj-m := tun.o");
        using var manifest = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "manifest.json")));
        var root = manifest.RootElement;
        root.GetProperty("input").GetProperty("sha256").GetString().Should().Be(Manifest.Sha256Of(Fixtures.ReadTunC("linux-5.10")));
        root.GetProperty("policy").GetString().Should().Be("dynamic");
        root.GetProperty("tunables").GetProperty("thresholdPackets").GetInt64().Should().Be(32);
        root.GetProperty("tunables").GetProperty("periodMs").GetInt64().Should().Be(100);
        root.GetProperty("kernelApiProfile").GetString().Should().Contain("SbDev").And.Contain("5.2+");
        root.GetProperty("toolVersion").GetString().Should().NotBeNullOrEmpty();
    }

    [Fact]
    public async Task Stock_writes_the_input_unchanged_and_no_patch()
    {
        using var temp = new TempDir();

        var result = await GenerateAsync("linux-5.10", Policy.Stock, temp.Combine("stock"));

        File.ReadAllText(temp.Combine("stock", "tun.c")).Should().Be(Fixtures.ReadTunC("linux-5.10"));
        result.Manifest.Patch.Should().BeNull();
        Directory.GetFiles(temp.Combine("stock"), "*.patch").Should().BeEmpty();
    }

    [Theory]
    [InlineData(Policy.Hash)]
    [InlineData(Policy.Dynamic)]
    public async Task The_patch_applies_to_its_input_with_patch_p1_and_reverses_cleanly(Policy policy)
    {
        using var temp = new TempDir();
        var tree = temp.Combine("tree");
        Directory.CreateDirectory(Path.Combine(tree, "drivers", "net"));
        var tun = Path.Combine(tree, TunSource.TreePath);
        File.Copy(Fixtures.TunC("linux-4.19"), tun);
        var result = await GenerateAsync("linux-4.19", policy, temp.Combine("out"));
        var patch = File.ReadAllText(Path.Combine(result.OutDir, result.Manifest.Patch!));

        var dryRun = await Processes.RunAsync("patch", ["-p1", "--dry-run"], tree, patch);
        var apply = await Processes.RunAsync("patch", ["-p1"], tree, patch);
        var applied = File.ReadAllText(tun);
        var reverse = await Processes.RunAsync("patch", ["-p1", "-R"], tree, patch);

        dryRun.ExitCode.Should().Be(0, dryRun.StandardOutput);
        apply.ExitCode.Should().Be(0);
        applied.Should().Be(File.ReadAllText(Path.Combine(result.OutDir, "tun.c")));
        reverse.ExitCode.Should().Be(0);
        File.ReadAllText(tun).Should().Be(Fixtures.ReadTunC("linux-4.19"));
    }

    [Fact]
    public async Task The_patch_is_in_git_format_patch_form_with_a_diffstat()
    {
        using var temp = new TempDir();
        var result = await GenerateAsync("linux-5.10", Policy.Dynamic, temp.Combine("out"));

        var patch = File.ReadAllText(Path.Combine(result.OutDir, result.Manifest.Patch!));

        patch.Should().StartWith("From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001\nFrom: Test Author <test@example.org>\nDate: ");
        patch.Should().Contain("Subject: [PATCH] tun: balance flows across queues by load\n");
        patch.Should().Contain("balance_threshold  load gap in segments per period (default 64)");
        patch.Should().Contain("(default 64)").And.Contain("\n---\n drivers/net/tun.c | ");
        patch.Should().NotContain("Signed-off-by:", "the DCO is the submitter's to certify, not the tool's");
        patch.Should().MatchRegex(@"\n 1 file changed, \d+ insertions\(\+\)(, \d+ deletions\(-\))?\n\ndiff --git a/drivers/net/tun.c b/drivers/net/tun.c\n--- a/drivers/net/tun.c\n\+\+\+ b/drivers/net/tun.c\n@@ ");
    }

    [Fact]
    public async Task A_lone_tun_c_that_needs_tun_vnet_h_still_generates_and_says_build_needs_it()
    {
        using var temp = new TempDir();

        var result = await GenerateAsync("linux-6.16", Policy.Dynamic, temp.Combine("out"));

        result.Notes.Should().ContainSingle(n => n.Contains("tun_vnet.h") && n.Contains("kmb build"));
        File.Exists(temp.Combine("out", "tun_vnet.h")).Should().BeFalse();
    }

    [Fact]
    public async Task A_tun_vnet_h_beside_the_input_is_copied()
    {
        using var temp = new TempDir();

        var result = await GenerateAsync("linux-6.15", Policy.Hash, temp.Combine("out"));

        File.ReadAllText(temp.Combine("out", "tun_vnet.h")).Should().Contain("TUN_VNET_FIXTURE");
        result.Manifest.VnetHeader.Should().Be("copied from the input's tree");
    }

    [Fact]
    public async Task A_failed_generate_leaves_an_existing_output_untouched_and_no_temporary_files()
    {
        using var temp = new TempDir();
        var outDir = temp.Combine("out");
        await GenerateAsync("linux-5.10", Policy.Hash, outDir);
        var before = File.ReadAllText(Path.Combine(outDir, "tun.c"));
        var broken = temp.Combine("broken.c");
        File.WriteAllText(broken, "static int unrelated(void)\n{\n\treturn 1;\n}\n\nmodule_init(unrelated);\nmodule_exit(unrelated);\nMODULE_LICENSE(\"GPL\");\n");

        var run = await Processes.KmbAsync("generate", "--tun-c", broken, "--policy", "dynamic", "--out", outDir);

        run.ExitCode.Should().Be(2);
        run.StandardError.Should().Contain("tun_select_queue()").And.Contain("Supported:");
        File.ReadAllText(Path.Combine(outDir, "tun.c")).Should().Be(before);
        Directory.GetFileSystemEntries(temp.Path).Select(Path.GetFileName).Should().BeEquivalentTo("out", "broken.c");
    }

    [Theory]
    [InlineData("--period-ms", "0", "--period-ms 0 is not positive")]
    [InlineData("--period-ms", "5", "--period-ms 5 is below the 10 ms floor")]
    [InlineData("--threshold", "-3", "--threshold -3 is out of range")]
    public async Task The_cli_refuses_bad_tunables_with_exit_code_2_and_writes_nothing(string option, string value, string message)
    {
        using var temp = new TempDir();

        var run = await Processes.KmbAsync("generate", "--tun-c", Fixtures.TunC("linux-5.10"), option, value, "--out", temp.Combine("out"));

        run.ExitCode.Should().Be(2);
        run.StandardError.Should().Contain(message);
        Directory.Exists(temp.Combine("out")).Should().BeFalse();
    }

    [Fact]
    public async Task Help_names_the_unit_of_the_threshold()
    {
        var run = await Processes.KmbAsync("generate", "--help");

        run.StandardOutput.Should().Contain("PACKETS PER PERIOD").And.Contain("milliseconds");
    }
}
