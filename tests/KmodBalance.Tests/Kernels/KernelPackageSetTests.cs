using FluentAssertions;
using KmodBalance.Generator;
using KmodBalance.Generator.Kernels;

namespace KmodBalance.Tests.Kernels;

/// <summary>Following Debian's metapackages to one generation's packages, on stanzas as apt-cache shows them.</summary>
public class KernelPackageSetTests
{
    private static string Stanza(string package, string version, string? depends = null, long size = 1000) =>
        $"Package: {package}\nVersion: {version}\nArchitecture: amd64\n" +
        (depends is null ? "" : $"Depends: {depends}\n") +
        $"Filename: pool/main/l/linux/{package}_{version}_amd64.deb\nSize: {size}\nDescription: x\n continued line\n\n";

    // bullseye-security as of 5.10.262-1: the compiler comes through linux-compiler-gcc-10-x86.
    private static readonly Dictionary<string, string> Bullseye = new()
    {
        ["linux-image-cloud-amd64"] = Stanza("linux-image-cloud-amd64", "5.10.262-1", "linux-image-5.10.0-46-cloud-amd64 (= 5.10.262-1)"),
        ["linux-image-5.10.0-46-cloud-amd64"] = Stanza("linux-image-5.10.0-46-cloud-amd64", "5.10.262-1",
            "kmod, linux-base (>= 4.3~), initramfs-tools (>= 0.120+deb8u2) | linux-initramfs-tool", 21521796),
        ["linux-headers-cloud-amd64"] = Stanza("linux-headers-cloud-amd64", "5.10.262-1", "linux-headers-5.10.0-46-cloud-amd64 (= 5.10.262-1)"),
        ["linux-headers-5.10.0-46-cloud-amd64"] = Stanza("linux-headers-5.10.0-46-cloud-amd64", "5.10.262-1",
            "linux-headers-5.10.0-46-common (= 5.10.262-1), linux-kbuild-5.10 (>= 5.10.262-1), linux-compiler-gcc-10-x86"),
        ["linux-headers-5.10.0-46-common"] = Stanza("linux-headers-5.10.0-46-common", "5.10.262-1"),
        ["linux-kbuild-5.10"] = Stanza("linux-kbuild-5.10", "5.10.262-1", "libc6 (>= 2.14), libelf1 (>= 0.144)"),
        ["linux-compiler-gcc-10-x86"] = Stanza("linux-compiler-gcc-10-x86", "5.10.262-1", "gcc-10"),
        ["linux-source-5.10"] = Stanza("linux-source-5.10", "5.10.262-1", "binutils, xz-utils", 121947504),
    };

    // bookworm-backports as of 6.12.95-1~bpo12+1: gcc-12 directly, image | image-unsigned.
    private static readonly Dictionary<string, string> Backports = new()
    {
        ["linux-image-cloud-amd64"] = Stanza("linux-image-cloud-amd64", "6.12.95-1~bpo12+1", "linux-image-6.12.95+deb12-cloud-amd64 (= 6.12.95-1~bpo12+1)"),
        ["linux-image-6.12.95+deb12-cloud-amd64"] = Stanza("linux-image-6.12.95+deb12-cloud-amd64", "6.12.95-1~bpo12+1", "kmod"),
        ["linux-headers-cloud-amd64"] = Stanza("linux-headers-cloud-amd64", "6.12.95-1~bpo12+1", "linux-headers-6.12.95+deb12-cloud-amd64 (= 6.12.95-1~bpo12+1)"),
        ["linux-headers-6.12.95+deb12-cloud-amd64"] = Stanza("linux-headers-6.12.95+deb12-cloud-amd64", "6.12.95-1~bpo12+1",
            "linux-base (>= 4.12~), linux-headers-6.12.95+deb12-common (= 6.12.95-1~bpo12+1), " +
            "linux-image-6.12.95+deb12-cloud-amd64 (= 6.12.95-1~bpo12+1) | linux-image-6.12.95+deb12-cloud-amd64-unsigned (= 6.12.95-1~bpo12+1), " +
            "linux-kbuild-6.12.95+deb12, gcc-12"),
        ["linux-headers-6.12.95+deb12-common"] = Stanza("linux-headers-6.12.95+deb12-common", "6.12.95-1~bpo12+1"),
        ["linux-kbuild-6.12.95+deb12"] = Stanza("linux-kbuild-6.12.95+deb12", "6.12.95-1~bpo12+1", "pahole"),
        ["linux-source-6.12"] = Stanza("linux-source-6.12", "6.12.95-1~bpo12+1"),
    };

    private static Func<string, Task<AptStanza?>> Show(Dictionary<string, string> archive) =>
        p => Task.FromResult(archive.TryGetValue(p, out var s) ? AptStanza.ParseFirst(s) : null);

    [Fact]
    public async Task The_5_10_set_follows_the_metapackages_to_ABI_46_and_gcc_10()
    {
        var set = await KernelPackageSet.ResolveAsync(KernelGeneration.Linux5_10, Show(Bullseye));

        set.Release.Should().Be("5.10.0-46-cloud-amd64");
        set.Compiler.Should().Be("gcc-10");
        set.All.Select(p => p.Name).Should().Equal(
            "linux-image-5.10.0-46-cloud-amd64", "linux-headers-5.10.0-46-cloud-amd64", "linux-headers-5.10.0-46-common",
            "linux-kbuild-5.10", "linux-source-5.10");
        set.Image.Should().Be(new AptPackage("linux-image-5.10.0-46-cloud-amd64", "5.10.262-1", 21521796,
            "linux-image-5.10.0-46-cloud-amd64_5.10.262-1_amd64.deb"));
    }

    [Fact]
    public async Task The_6_12_set_takes_gcc_12_named_directly_by_the_headers()
    {
        var set = await KernelPackageSet.ResolveAsync(KernelGeneration.Linux6_12, Show(Backports));

        set.Release.Should().Be("6.12.95+deb12-cloud-amd64");
        set.Compiler.Should().Be("gcc-12");
        set.HeadersCommon.Name.Should().Be("linux-headers-6.12.95+deb12-common");
        set.Kbuild.Name.Should().Be("linux-kbuild-6.12.95+deb12");
        set.Source.Version.Should().Be("6.12.95-1~bpo12+1");
    }

    [Fact]
    public async Task A_missing_package_is_a_failed_step_naming_it()
    {
        var archive = new Dictionary<string, string>(Bullseye);
        archive.Remove("linux-source-5.10");

        var act = () => KernelPackageSet.ResolveAsync(KernelGeneration.Linux5_10, Show(archive));

        (await act.Should().ThrowAsync<KmbException>()).Where(e => e.ExitCode == 1).WithMessage("*bullseye*linux-source-5.10*");
    }

    [Fact]
    public async Task Headers_out_of_step_with_the_image_are_refused()
    {
        var archive = new Dictionary<string, string>(Bullseye)
        {
            ["linux-headers-cloud-amd64"] = Stanza("linux-headers-cloud-amd64", "5.10.262-1", "linux-headers-5.10.0-45-cloud-amd64"),
        };

        var act = () => KernelPackageSet.ResolveAsync(KernelGeneration.Linux5_10, Show(archive));

        await act.Should().ThrowAsync<KmbException>().WithMessage("*out of step*");
    }

    [Fact]
    public void The_toolchain_of_gcc_10_is_the_driver_cc1_and_its_headers()
    {
        KernelPackageSet.ToolchainPackages("gcc-10").Should().Equal("gcc-10", "cpp-10", "gcc-10-base", "libgcc-10-dev");
    }

    [Fact]
    public void Relations_drop_versions_and_architecture_qualifiers_and_keep_alternatives()
    {
        var groups = AptStanza.ParseRelations("a (>= 1), b:any | c (= 2) [amd64], d");

        groups.Should().HaveCount(3);
        groups[0].Should().Equal("a");
        groups[1].Should().Equal("b", "c");
        groups[2].Should().Equal("d");
    }

    [Fact]
    public void Only_the_first_stanza_is_read_and_continuation_lines_fold()
    {
        var s = AptStanza.ParseFirst("Package: x\nVersion: 1\nDescription: one\n two\n\nPackage: y\nVersion: 2\n")!;

        s.Package.Should().Be("x");
        s.Version.Should().Be("1");
        s["Description"].Should().Be("one\ntwo");
        AptStanza.ParseFirst("N: Unable to locate package z\n").Should().BeNull();
    }
}
