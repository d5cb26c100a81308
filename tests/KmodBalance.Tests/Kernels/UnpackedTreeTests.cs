using FluentAssertions;
using KmodBalance.Generator.Kernels;
using KmodBalance.Tests.Support;

namespace KmodBalance.Tests.Kernels;

/// <summary>Debian kernel packages unpacked under a private root, made usable in place.</summary>
public class UnpackedTreeTests
{
    [Fact]
    public void The_headers_makefile_includes_the_common_tree_inside_the_root()
    {
        var text = "include /usr/src/linux-headers-5.10.0-46-common/Makefile\n";

        UnpackedTree.RelocateMakefile(text, "/var/tmp/k/5.10/root/")
            .Should().Be("include /var/tmp/k/5.10/root/usr/src/linux-headers-5.10.0-46-common/Makefile\n");
    }

    [Fact]
    public void Relocating_twice_changes_nothing_more_and_other_lines_stay()
    {
        var text = "# a comment naming /usr/src/x\ninclude /usr/src/linux-headers-6.1.0-57-common/Makefile\n";

        var once = UnpackedTree.RelocateMakefile(text, "/r");

        UnpackedTree.RelocateMakefile(once, "/r").Should().Be(once);
        once.Should().StartWith("# a comment naming /usr/src/x\n");
    }

    [Fact]
    public void The_compiler_is_pinned_where_debian_names_it()
    {
        var vars = "override ARCH = x86\nCC = $(if $(DEBIAN_KERNEL_USE_CCACHE),$(CCACHE)) $(CROSS_COMPILE)gcc-10\n";

        UnpackedTree.PinCompiler(vars, "gcc-10", "/t/usr/bin/gcc-10")
            .Should().Be("override ARCH = x86\nCC = $(if $(DEBIAN_KERNEL_USE_CCACHE),$(CCACHE)) /t/usr/bin/gcc-10\n");
    }

    [Fact]
    public void Without_debians_CC_line_a_CC_assignment_is_appended()
    {
        UnpackedTree.PinCompiler("override ARCH = x86", "gcc-10", "/t/gcc-10").Should().Be("override ARCH = x86\nCC = /t/gcc-10\n");
        UnpackedTree.PinCompiler("", "gcc-10", "/t/gcc-10").Should().Be("CC = /t/gcc-10\n");
    }

    [Fact]
    public void The_kernels_compiler_is_read_from_the_config()
    {
        var config = "CONFIG_CC_IS_GCC=y\nCONFIG_CC_VERSION_TEXT=\"gcc-10 (Debian 10.2.1-6) 10.2.1 20210110\"\nCONFIG_GCC_VERSION=100201\n";

        UnpackedTree.KernelCompiler(config).Should().Be("gcc-10 (Debian 10.2.1-6) 10.2.1 20210110");
        UnpackedTree.KernelCompiler("CONFIG_X=y\n").Should().BeNull();
    }

    [Fact]
    public void An_absolute_link_target_becomes_a_relative_one_inside_the_root()
    {
        UnpackedTree.RelocatedTarget("/r", "/r/lib/modules/5.10.0-46-cloud-amd64/build", "/usr/src/linux-headers-5.10.0-46-cloud-amd64")
            .Should().Be("../../../usr/src/linux-headers-5.10.0-46-cloud-amd64");
    }

    [Fact]
    public void Absolute_symlinks_are_repointed_and_relative_ones_left_alone()
    {
        using var dir = new TempDir();
        var root = dir.Combine("root");
        var headers = Path.Combine(root, "usr", "src", "linux-headers-R");
        var kbuild = Path.Combine(root, "usr", "lib", "linux-kbuild-R", "scripts");
        Directory.CreateDirectory(headers);
        Directory.CreateDirectory(kbuild);
        File.WriteAllText(Path.Combine(headers, "Makefile"), "x");
        var modules = Path.Combine(root, "lib", "modules", "R");
        Directory.CreateDirectory(modules);
        File.CreateSymbolicLink(Path.Combine(modules, "build"), "/usr/src/linux-headers-R");
        File.CreateSymbolicLink(Path.Combine(headers, "scripts"), "../../lib/linux-kbuild-R/scripts");

        var count = UnpackedTree.RelocateSymlinks(root);

        count.Should().Be(1);
        new FileInfo(Path.Combine(modules, "build")).LinkTarget.Should().Be("../../../usr/src/linux-headers-R");
        File.Exists(Path.Combine(modules, "build", "Makefile")).Should().BeTrue();
        new FileInfo(Path.Combine(headers, "scripts")).LinkTarget.Should().Be("../../lib/linux-kbuild-R/scripts");
    }

    [Fact]
    public void Disk_usage_counts_each_file_once_and_follows_no_symlink()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir.Combine("a"));
        File.WriteAllBytes(dir.Combine("a", "f"), new byte[1000]);
        File.WriteAllBytes(dir.Combine("g"), new byte[24]);
        File.CreateSymbolicLink(dir.Combine("link-dir"), "a");
        File.CreateSymbolicLink(dir.Combine("link-file"), "g");

        KernelStore.DiskBytes(dir.Path).Should().Be(1024);
    }
}
