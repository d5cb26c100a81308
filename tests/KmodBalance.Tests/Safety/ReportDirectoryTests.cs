using FluentAssertions;
using KmodBalance.Tests.Support;

namespace KmodBalance.Tests.Safety;

/// <summary>A lab verb's --report is checked before any VM work (the report is written only at the
/// end of a run of minutes), and under the output-directory rule: nothing kmb did not write is lost.</summary>
public class ReportDirectoryTests
{
    [Theory]
    [InlineData("run")]
    [InlineData("compare")]
    [InlineData("check", "--policy", "dynamic")]
    public async Task An_unwritable_report_directory_exits_2_before_anything_runs(string verb, params string[] more)
    {
        var run = await Kmb.RunAsync(["lab", verb, "--report", "/proc/x", .. more]);

        run.ExitCode.Should().Be(2);
        run.StandardError.Should().Contain("/proc/x: cannot write in /proc").And.NotContain("[check-tools]");
    }

    [Fact]
    public async Task A_report_directory_holding_a_users_file_is_refused_and_kept()
    {
        using var temp = new TempDir();
        var d = temp.Combine("d");
        Directory.CreateDirectory(d);
        File.WriteAllText(Path.Combine(d, "keep"), "x");

        var run = await Kmb.RunAsync("lab", "run", "--report", d);

        run.ExitCode.Should().Be(2);
        run.StandardError.Should().Contain($"{d} is not empty and is not a previous kmb output").And.NotContain("[check-tools]");
        File.ReadAllText(Path.Combine(d, "keep")).Should().Be("x");
    }

    [Fact]
    public async Task The_current_directory_as_report_is_refused_and_nothing_in_it_is_lost()
    {
        using var temp = new TempDir();
        File.WriteAllText(temp.Combine("notes.txt"), "mine");

        var run = await Kmb.RunInAsync(temp.Path, "lab", "run", "--report", ".");

        run.ExitCode.Should().Be(2);
        run.StandardError.Should().Contain(". is the current directory or holds it");
        Directory.GetFileSystemEntries(temp.Path).Select(Path.GetFileName).Should().Equal("notes.txt");
    }
}
