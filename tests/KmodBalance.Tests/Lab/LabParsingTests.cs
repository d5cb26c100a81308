using FluentAssertions;
using KmodBalance.Harness.Images;
using KmodBalance.Harness.Lab;
using KmodBalance.Harness.Lab.Steps;
using KmodBalance.Harness.Network;
using Xunit;

namespace KmodBalance.Tests.Lab;

public class LabParsingTests
{
    [Theory]
    [InlineData("/lib/x86_64-linux-gnu/libc.so.6", "/usr/lib/x86_64-linux-gnu/libc.so.6")]
    [InlineData("/lib64/ld-linux-x86-64.so.2", "/usr/lib64/ld-linux-x86-64.so.2")]
    [InlineData("bin/ash", "/usr/bin/ash")]
    [InlineData("/sbin", "/usr/sbin")]
    [InlineData("/libexec/x", "/libexec/x")]
    [InlineData("/etc/passwd", "/etc/passwd")]
    public void Paths_map_onto_the_merged_usr_layout(string input, string expected) => RootfsLayout.Normalize(input).Should().Be(expected);

    [Fact]
    public void Ldd_output_gives_absolute_library_paths()
    {
        const string ldd = "\tlinux-vdso.so.1 (0x00007ffd)\n\tlibmnl.so.0 => /lib/x86_64-linux-gnu/libmnl.so.0 (0x00007f)\n" +
                           "\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f)\n\t/lib64/ld-linux-x86-64.so.2 (0x00007f)\n";
        LibraryClosure.ParseLdd(ldd).Should().Equal("/lib/x86_64-linux-gnu/libmnl.so.0", "/lib/x86_64-linux-gnu/libc.so.6", "/lib64/ld-linux-x86-64.so.2");
    }

    [Fact]
    public void Show_depends_gives_ko_paths_in_load_order()
    {
        const string o = "insmod /lib/modules/r/kernel/virt/lib/irqbypass.ko \ninsmod /lib/modules/r/kernel/arch/x86/kvm/kvm.ko \nbuiltin crc32c\ninsmod /lib/modules/r/kernel/arch/x86/kvm/kvm-amd.ko nested=1\n";
        ModuleClosure.ParseShowDepends(o).Should().Equal("/lib/modules/r/kernel/virt/lib/irqbypass.ko",
            "/lib/modules/r/kernel/arch/x86/kvm/kvm.ko", "/lib/modules/r/kernel/arch/x86/kvm/kvm-amd.ko");
    }

    [Fact]
    public void Recipe_errors_name_file_and_line()
    {
        var act = () => ImageRecipe.Parse("name x\nbogus thing\n", "/tmp", "guest.recipe");
        act.Should().Throw<InvalidDataException>().WithMessage("guest.recipe:2:*bogus*");
        FluentActions.Invoking(() => ImageRecipe.Parse("dir /tmp 9999", "/tmp")).Should().Throw<InvalidDataException>().WithMessage("*octal*");
    }

    [Fact]
    public void Recipe_directives_parse()
    {
        var d = ImageRecipe.Parse("# c\nbin /a /b # trailing\nfile rcS /etc/init.d/rcS 0755\nsecret host_key /etc/k 0600\n", "/r");
        d.Should().Equal(new RecipeDirective.Bin("/a"), new RecipeDirective.Bin("/b"),
            new RecipeDirective.File("/r/rcS", "/etc/init.d/rcS", 493), new RecipeDirective.Secret("host_key", "/etc/k", 384));
    }

    [Fact]
    public void Lab_namespaces_are_the_kmb_lab_pid_names()
    {
        const string list = "kmb-lab-100 (id: 3)\nkmb-lab-200\nkmbcap\nkmb-lab-abc\nother\n";
        Netns.LabNames(list).Should().Equal("kmb-lab-100", "kmb-lab-200");
    }

    [Fact]
    public void Host_key_fingerprint_matches_openssh_format()
    {
        // ssh-keygen -lf of this key prints SHA256:... ; the blob hash is what SSH.NET reports.
        const string pub = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl root@kmb";
        var fp = SshKeyMaterial.Fingerprint(pub);
        fp.Should().StartWith("SHA256:").And.NotEndWith("=");
        fp.Length.Should().Be("SHA256:".Length + 43);
        SshKeyMaterial.PublicKeyLine("Public key portion is:\n" + pub + "\nFingerprint: sha256:x\n").Should().Be(pub);
    }

    [Fact]
    public void Netperf_flow_sections_split_and_failed_flows_are_reported()
    {
        const string tcp = "MIGRATED TCP STREAM TEST\nRecv   Send    Send\n\n 131072  16384  16384    10.01      12.34   \n";
        var output = $"### flow 1 rc=0\n{tcp}### flow 2 rc=124\nnetperf: timeout\n### flow 3 rc=0\n{tcp}";
        var r = MeasureSteps.ParseFlows(output, 3, NetperfTest.TcpStream);
        r.Flows.Select(f => f.Mbps).Should().Equal(12.34, 0, 12.34);
        r.Problems.Should().ContainSingle().Which.Should().Contain("flow 2").And.Contain("timed out");
    }

    [Fact]
    public async Task Cleanup_runs_last_in_first_out_and_survives_failures()
    {
        var log = new List<string>();
        await using (var c = new CleanupRegistry(log.Add))
        {
            c.Add("delete netns", () => ValueTask.CompletedTask);
            c.Add("kill qemu", () => throw new InvalidOperationException("boom"));
            c.Add("close ssh", () => ValueTask.CompletedTask);
        }
        log.Should().Equal("cleanup: close ssh", "cleanup: FAILED to kill qemu: boom", "cleanup: delete netns");
    }
}
