using CliWrap;
using CliWrap.Buffered;
using FluentAssertions;
using KmodBalance.Harness.Images;
using Xunit;

namespace KmodBalance.Tests.Lab;

public class CpioWriterTests
{
    private static List<CpioEntry> Sample(string hostFile) =>
    [
        new CpioFile("/etc/hostname", 0x1A4, Content: "kmb\n"u8.ToArray()),
        new CpioSymlink("/bin", "usr/bin"),
        new CpioFile("/usr/bin/tool", 0x1ED, SourcePath: hostFile),
        new CpioDirectory("/tmp", 0x3FF),
        new CpioCharDevice("/dev/console", 0x180, 5, 1),
    ];

    [Fact]
    public void Identical_input_gives_identical_bytes()
    {
        var f = Path.GetTempFileName();
        File.WriteAllText(f, "#!/bin/sh\necho hi\n");
        try
        {
            var a = CpioWriter.ToBytes(Sample(f));
            File.SetLastWriteTimeUtc(f, DateTime.UtcNow.AddDays(-3)); // mtime must not matter
            var b = CpioWriter.ToBytes(Enumerable.Reverse(Sample(f)));  // nor input order
            b.Should().Equal(a);
            (a.Length % 4).Should().Be(0);
        }
        finally { File.Delete(f); }
    }

    [Fact]
    public async Task Archive_lists_with_cpio_t_including_implied_parent_dirs()
    {
        var f = Path.GetTempFileName();
        File.WriteAllText(f, "data");
        var archive = Path.GetTempFileName();
        try
        {
            await File.WriteAllBytesAsync(archive, CpioWriter.ToBytes(Sample(f)));
            var r = await CliWrap.Cli.Wrap("sh").WithArguments(["-c", $"cpio -itv < {archive}"]).ExecuteBufferedAsync();
            var lines = r.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            var names = await CliWrap.Cli.Wrap("sh").WithArguments(["-c", $"cpio -it < {archive}"]).ExecuteBufferedAsync();
            names.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries).Should()
                .Equal("bin", "dev", "dev/console", "etc", "etc/hostname", "tmp", "usr", "usr/bin", "usr/bin/tool");
            lines.Should().AllSatisfy(l => l.Should().Contain(" root ").And.Contain("1970"));
            lines.Single(l => l.EndsWith("usr/bin/tool")).Should().StartWith("-rwxr-xr-x");
            lines.Single(l => l.Contains(" bin -> ")).Should().StartWith("lrwxrwxrwx");
            lines.Single(l => l.EndsWith("dev/console")).Should().StartWith("crw-------");
        }
        finally { File.Delete(f); File.Delete(archive); }
    }

    [Fact]
    public void Later_entries_override_earlier_ones_with_the_same_path()
    {
        var bytes = CpioWriter.ToBytes([new CpioSymlink("/usr/sbin/ip", "/usr/bin/busybox"), new CpioFile("/usr/sbin/ip", 0x1ED, Content: [1, 2, 3])]);
        System.Text.Encoding.ASCII.GetString(bytes).Should().NotContain("/usr/bin/busybox");
    }
}
