using FluentAssertions;
using KmodBalance.Generator.Kernels;

namespace KmodBalance.Tests.Kernels;

/// <summary>The private apt configuration: its own sources, state and cache; nothing of the host's.</summary>
public class PrivateAptTests
{
    [Fact]
    public void The_5_10_sources_list_names_bullseye_and_its_security_suite_signed_by_debians_keyring()
    {
        var lines = Lines(PrivateApt.SourcesListText(KernelGeneration.Linux5_10));

        lines.Should().Equal(
            "deb [arch=amd64 signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian bullseye main",
            "deb [arch=amd64 signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian-security bullseye-security main");
    }

    [Fact]
    public void The_6_12_sources_list_is_bookworm_backports_alone()
    {
        Lines(PrivateApt.SourcesListText(KernelGeneration.Linux6_12)).Should().ContainSingle()
            .Which.Should().EndWith("http://deb.debian.org/debian bookworm-backports main");
    }

    [Fact]
    public void The_6_1_sources_list_has_bookworm_updates_and_security()
    {
        Lines(PrivateApt.SourcesListText(KernelGeneration.Linux6_1)).Select(l => l.Split(' ')[^2])
            .Should().Equal("bookworm", "bookworm-updates", "bookworm-security");
    }

    [Fact]
    public void Options_put_sources_state_cache_and_preferences_under_the_private_root()
    {
        var options = Settings(PrivateApt.Options("/s/kernels/5.10/apt"));

        options["Dir::Etc::sourcelist"].Should().Be("/s/kernels/5.10/apt/sources.list");
        options["Dir::Etc::sourceparts"].Should().Be("-", "the host's sources.list.d is not read");
        options["Dir::State"].Should().Be("/s/kernels/5.10/apt/state");
        options["Dir::State::status"].Should().Be("/s/kernels/5.10/apt/state/status", "an empty dpkg status: the host's installed packages play no part");
        options["Dir::Cache"].Should().Be("/s/kernels/5.10/apt/cache");
        options["Dir::Etc::preferences"].Should().StartWith("/s/kernels/5.10/apt/");
        options["Dir::Etc::preferencesparts"].Should().StartWith("/s/kernels/5.10/apt/");
        options["APT::Architectures"].Should().Be("amd64");
    }

    [Fact]
    public void No_option_points_at_the_hosts_apt_or_dpkg_state()
    {
        var values = Settings(PrivateApt.Options("/s/apt")).Values;

        values.Should().NotContain(v => v.StartsWith("/etc/") || v.StartsWith("/var/lib/") || v.StartsWith("/var/cache/"));
    }

    [Fact]
    public void The_APT_CONFIG_file_replaces_the_hosts_apt_conf_and_its_hooks_by_private_empty_ones()
    {
        var text = PrivateApt.AptConfText("/s/apt");

        text.Should().Contain("Dir::Etc::main \"/s/apt/apt.conf.none\";").And.Contain("Dir::Etc::parts \"/s/apt/apt.conf.d\";");
    }

    [Fact]
    public async Task Apt_under_the_private_configuration_reads_no_host_hook_nor_host_source()
    {
        using var dir = new Support.TempDir();
        var apt = new PrivateApt(dir.Combine("apt"), KernelGeneration.Linux5_10);
        apt.Prepare();

        var dump = await Support.Processes.RunAsync("sh", ["-c", $"APT_CONFIG={apt.AptConfPath} apt-config dump {string.Join(' ', PrivateApt.Options(apt.Root))}"]);

        dump.ExitCode.Should().Be(0);
        dump.StandardOutput.Should().NotContain("Post-Invoke").And.NotContain("DEP-11::MetaKey", "appstream's index targets are not read")
            .And.Contain($"Dir::Etc::sourcelist \"{apt.SourcesListPath}\"");
    }

    [Fact]
    public void Every_setting_is_an_o_pair()
    {
        var args = PrivateApt.Options("/r");

        args.Where((_, i) => i % 2 == 0).Should().OnlyContain(a => a == "-o");
        args.Where((_, i) => i % 2 == 1).Should().OnlyContain(a => a.Contains('='));
    }

    [Fact]
    public void Prepare_creates_the_private_tree_with_an_empty_status_and_the_sources_list()
    {
        using var dir = new Support.TempDir();
        var apt = new PrivateApt(dir.Combine("apt"), KernelGeneration.Linux6_12);

        apt.Prepare();
        apt.Prepare(); // idempotent

        File.ReadAllText(dir.Combine("apt", "state", "status")).Should().BeEmpty();
        Directory.Exists(dir.Combine("apt", "state", "lists", "partial")).Should().BeTrue();
        Directory.Exists(dir.Combine("apt", "cache", "archives", "partial")).Should().BeTrue();
        File.ReadAllText(apt.SourcesListPath).Should().Contain("bookworm-backports");
    }

    private static string[] Lines(string text) =>
        text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => !l.StartsWith('#')).ToArray();

    private static Dictionary<string, string> Settings(IReadOnlyList<string> args) =>
        args.Where((_, i) => i % 2 == 1).Select(a => a.Split('=', 2)).ToDictionary(p => p[0], p => p[1]);
}
