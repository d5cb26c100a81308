using FluentAssertions;
using KmodBalance.Generator.Output;
using KmodBalance.Tests.Support;

namespace KmodBalance.Tests.Safety;

/// <summary>The output-directory rule, as a user meets it through `kmb generate --out`.</summary>
public class OutputDirectoryRuleTests
{
    private static Task<CliWrap.Buffered.BufferedCommandResult> GenerateAsync(string outDir, string? workDir = null, string? tunC = null) =>
        Kmb.RunInAsync(workDir ?? AppContext.BaseDirectory, "generate", "--tun-c", tunC ?? Fixtures.TunC("linux-5.10"), "--out", outDir);

    [Fact]
    public async Task A_directory_holding_a_file_kmb_did_not_write_is_refused_and_kept()
    {
        using var temp = new TempDir();
        var d = temp.Combine("d");
        Directory.CreateDirectory(d);
        File.WriteAllText(Path.Combine(d, "keep"), "x");

        var run = await GenerateAsync(d);

        run.ExitCode.Should().Be(2);
        run.StandardError.Should().Contain(d).And.Contain("not a previous kmb output");
        Directory.GetFileSystemEntries(d).Select(Path.GetFileName).Should().Equal("keep");
        Directory.GetFileSystemEntries(temp.Path).Select(Path.GetFileName).Should().Equal("d");
    }

    [Fact]
    public async Task The_current_directory_is_refused_and_nothing_in_it_is_lost()
    {
        using var temp = new TempDir();
        File.WriteAllText(temp.Combine("notes.txt"), "mine");

        var run = await GenerateAsync(".", workDir: temp.Path);

        run.ExitCode.Should().Be(2);
        run.StandardError.Should().Contain("current directory");
        Directory.GetFileSystemEntries(temp.Path).Select(Path.GetFileName).Should().Equal("notes.txt");
    }

    [Fact]
    public async Task The_inputs_own_directory_is_refused_and_the_input_kept()
    {
        using var temp = new TempDir();
        var tree = temp.Combine("linux");
        Directory.CreateDirectory(tree);
        var tunC = Path.Combine(tree, "tun.c");
        File.Copy(Fixtures.TunC("linux-5.10"), tunC);

        var run = await GenerateAsync(tree, tunC: tunC);

        run.ExitCode.Should().Be(2);
        run.StandardError.Should().Contain("holds the input");
        File.ReadAllText(tunC).Should().Be(Fixtures.ReadTunC("linux-5.10"));
    }

    [Fact]
    public async Task A_previous_output_is_replaced_but_not_when_it_also_holds_a_users_file()
    {
        using var temp = new TempDir();
        var outDir = temp.Combine("out");
        (await GenerateAsync(outDir)).ExitCode.Should().Be(0);
        File.WriteAllText(Path.Combine(outDir, "tun.ko"), "built by kmb build"); // an artefact kmb build writes

        (await GenerateAsync(outDir)).ExitCode.Should().Be(0);
        File.Exists(Path.Combine(outDir, "tun.ko")).Should().BeFalse("the replaced output was all kmb's");

        File.WriteAllText(Path.Combine(outDir, "my-notes.txt"), "mine");
        var refused = await GenerateAsync(outDir);

        refused.ExitCode.Should().Be(2);
        refused.StandardError.Should().Contain("my-notes.txt");
        File.ReadAllText(Path.Combine(outDir, "my-notes.txt")).Should().Be("mine");
    }

    [Fact]
    public async Task Staging_left_by_a_killed_run_is_removed_by_the_next_one()
    {
        using var temp = new TempDir();
        var stale = temp.Combine(".out.kmb-staging-999999-0123456789abcdef");
        Directory.CreateDirectory(stale);
        File.WriteAllText(Path.Combine(stale, "tun.c"), "half written");

        var run = await GenerateAsync(temp.Combine("out"));

        run.ExitCode.Should().Be(0, run.StandardError);
        Directory.GetFileSystemEntries(temp.Path).Select(Path.GetFileName).Should().Equal("out");
    }

    [Theory]
    [InlineData("file")]
    [InlineData("/proc/kmb-out")]
    public async Task An_unwritable_or_non_directory_out_exits_2_with_one_line(string target)
    {
        using var temp = new TempDir();
        var file = temp.Combine("a-file");
        File.WriteAllText(file, "x");

        var run = await GenerateAsync(target == "file" ? file : target);

        run.ExitCode.Should().Be(2);
        run.StandardError.Trim().Split('\n').Should().ContainSingle().Which.Should().StartWith("kmb: ");
        File.ReadAllText(file).Should().Be("x");
    }

    [Fact]
    public async Task Two_writers_of_one_directory_take_turns()
    {
        using var temp = new TempDir();
        var outDir = temp.Combine("out");
        var order = new List<string>();
        var firstHolds = new TaskCompletionSource();
        var releaseFirst = new TaskCompletionSource();

        var first = AtomicDirectory.WriteAsync(outDir, async staging =>
        {
            lock (order) order.Add("first writes");
            firstHolds.SetResult();
            await releaseFirst.Task;
            File.WriteAllText(Path.Combine(staging, "a"), "first");
        });
        await firstHolds.Task;
        var second = AtomicDirectory.WriteAsync(outDir, staging =>
        {
            lock (order) order.Add("second writes");
            File.WriteAllText(Path.Combine(staging, "a"), "second");
            return Task.CompletedTask;
        }, ownNames: new HashSet<string> { "a" });
        await Task.WhenAny(second, Task.Delay(500)); // gives the second writer every chance to overtake
        lock (order) order.Add("first released");
        releaseFirst.SetResult();
        await Task.WhenAll(first, second);

        order.Should().Equal("first writes", "first released", "second writes");
        File.ReadAllText(Path.Combine(outDir, "a")).Should().Be("second");
    }
}
