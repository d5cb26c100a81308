using FluentAssertions;
using KmodBalance.Generator.Kernels;

namespace KmodBalance.Tests.Kernels;

/// <summary>The debug kernel's pure parts: the config check after olddefconfig, the cache key, the build's ETA.</summary>
public sealed class DebugKernelTests
{
    private static string Config(params string[] drop)
    {
        var values = DebugKernelConfig.DebugOptions.Select(o => (o, "y")).Concat(DebugKernelConfig.LabOptions)
            .Where(r => !drop.Contains(r.Item1));
        return "# generated\n" + string.Join('\n', values.Select(r => $"CONFIG_{r.Item1}={r.Item2}")) + "\n# CONFIG_KCSAN is not set\n";
    }

    [Fact]
    public void A_config_with_every_option_misses_nothing_and_names_its_sanitisers()
    {
        DebugKernelConfig.Missing(Config()).Should().BeEmpty();
        DebugKernelConfig.Enabled(Config()).Should().Equal(DebugKernelConfig.DebugOptions);
    }

    [Fact]
    public void An_option_olddefconfig_dropped_is_named_with_what_the_config_has()
    {
        var missing = DebugKernelConfig.Missing(Config("KASAN").Replace("CONFIG_TUN=m", "CONFIG_TUN=y", StringComparison.Ordinal));
        missing.Should().Equal("CONFIG_KASAN=y (have: unset)", "CONFIG_TUN=m (have: y)");
    }

    [Fact]
    public void A_production_config_enables_none_of_the_sanitisers_it_lacks()
    {
        DebugKernelConfig.Enabled("CONFIG_DEBUG_LIST=y\n# CONFIG_KASAN is not set\nCONFIG_UBSAN=n\n").Should().Equal("DEBUG_LIST");
    }

    [Fact]
    public void The_embedded_fragment_asks_for_every_option_the_check_requires()
    {
        var fragment = DebugKernelConfig.Values(DebugKernelConfig.Fragment);
        foreach (var option in DebugKernelConfig.DebugOptions)
            fragment.Should().Contain(option, "y");
        foreach (var (option, value) in DebugKernelConfig.LabOptions.Where(o => fragment.ContainsKey(o.Option)))
            fragment[option].Should().Be(value);
    }

    [Fact]
    public void The_cache_key_changes_with_source_fragment_and_compiler()
    {
        var key = DebugKernel.Key("aa", "CONFIG_KASAN=y\n", "gcc 12.2");
        key.Should().HaveLength(16).And.Be(DebugKernel.Key("aa", "CONFIG_KASAN=y\n", "gcc 12.2"));
        DebugKernel.Key("ab", "CONFIG_KASAN=y\n", "gcc 12.2").Should().NotBe(key);
        DebugKernel.Key("aa", "CONFIG_KASAN=n\n", "gcc 12.2").Should().NotBe(key);
        DebugKernel.Key("aa", "CONFIG_KASAN=y\n", "gcc 12.3").Should().NotBe(key);
    }

    [Theory]
    [InlineData("  CC      kernel/fork.o", true)]
    [InlineData("  CC [M]  drivers/net/tun.o", true)]
    [InlineData("  AS      arch/x86/entry/entry_64.o", true)]
    [InlineData("  LD      vmlinux", false)]
    [InlineData("drivers/net/tun.c:12:1: warning: x", false)]
    public void Compiled_objects_are_counted_from_kbuilds_quiet_lines(string line, bool counts)
    {
        BuildEstimate.IsObject(line).Should().Be(counts);
    }

    [Fact]
    public void The_eta_follows_the_fraction_compiled()
    {
        BuildEstimate.Describe(1000, 4000, TimeSpan.FromMinutes(5)).Should().Contain("(25%)").And.Contain("about 15 min left");
        BuildEstimate.Describe(0, 4000, TimeSpan.FromMinutes(1)).Should().NotContain("left");
        BuildEstimate.Describe(5000, 4000, TimeSpan.FromMinutes(30)).Should().Contain("(99%)", "a build past its estimate is not done until make says so");
    }
}
