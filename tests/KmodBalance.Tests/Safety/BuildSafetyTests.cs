using FluentAssertions;
using KmodBalance.Tests.Support;

namespace KmodBalance.Tests.Safety;

/// <summary>`kmb build` never leaves a stale tun.ko, takes turns on one directory, and refuses a path kbuild
/// cannot take; `lab run --module` uses only a module built for its policy. kbuild is played by
/// <see cref="FakeKernel"/>: what is tested is kmb's handling around it.</summary>
public class BuildSafetyTests
{
    [Fact]
    public async Task A_failed_rebuild_leaves_no_tun_ko_from_the_build_before()
    {
        using var temp = new TempDir();
        var dir = temp.Combine("mod");
        await Kmb.GenerateFixtureAsync(dir);
        File.WriteAllText(Path.Combine(dir, "tun.ko"), "the previous build's module");
        File.WriteAllText(Path.Combine(dir, ".tun.o.cmd"), "kbuild's record");

        var run = await Kmb.RunAsync("build", dir, "--kdir", FakeKernel.Create(temp.Combine("kdir"), makeExit: 2));

        run.ExitCode.Should().Be(1);
        run.StandardError.Should().Contain("kbuild failed");
        File.Exists(Path.Combine(dir, "tun.ko")).Should().BeFalse();
        File.Exists(Path.Combine(dir, ".tun.o.cmd")).Should().BeFalse();
        File.Exists(Path.Combine(dir, "tun.c")).Should().BeTrue("only kbuild's artefacts are removed");
    }

    [Fact]
    public async Task Two_builds_of_one_directory_run_one_after_the_other()
    {
        using var temp = new TempDir();
        var dir = temp.Combine("mod");
        await Kmb.GenerateFixtureAsync(dir);
        var log = temp.Combine("make.log");
        var kdir = FakeKernel.Create(temp.Combine("kdir"), makeExit: 1, log: log, seconds: 1);

        var both = await Task.WhenAll(Kmb.RunAsync("build", dir, "--kdir", kdir), Kmb.RunAsync("build", dir, "--kdir", kdir));

        both.Should().OnlyContain(r => r.ExitCode == 1, "each ran its (failing) make");
        File.ReadAllLines(log).Should().Equal("start", "end", "start", "end");
    }

    [Fact]
    public async Task A_path_with_a_space_is_refused_up_front_with_the_reason()
    {
        using var temp = new TempDir();
        var dir = temp.Combine("my modules", "dyn");
        await Kmb.GenerateFixtureAsync(dir);
        var log = temp.Combine("make.log");

        var run = await Kmb.RunAsync("build", dir, "--kdir", FakeKernel.Create(temp.Combine("kdir"), makeExit: 0, log: log));

        run.ExitCode.Should().Be(2);
        run.StandardError.Should().Contain("kbuild cannot build").And.Contain("space");
        File.Exists(log).Should().BeFalse("kbuild never ran");
    }

    [Fact]
    public async Task Lab_run_refuses_a_module_generated_for_another_policy_before_any_vm_work()
    {
        using var temp = new TempDir();
        var dir = temp.Combine("hash");
        await Kmb.GenerateFixtureAsync(dir, policy: "hash");
        File.WriteAllText(Path.Combine(dir, "tun.ko"), "");

        var run = await Kmb.RunAsync("lab", "run", "--policy", "dynamic", "--module", dir, "--report", temp.Combine("report"));

        run.ExitCode.Should().Be(2);
        run.StandardError.Should().Contain("holds the hash policy").And.Contain("--policy dynamic");
    }

    [Theory]
    [InlineData("run")]
    [InlineData("check")]
    public async Task A_lab_verb_refuses_a_module_generated_with_other_tunables_before_any_vm_work(string verb)
    {
        using var temp = new TempDir();
        var dir = temp.Combine("dyn");
        await Kmb.GenerateFixtureAsync(dir);
        File.WriteAllText(Path.Combine(dir, "tun.ko"), "");

        var run = await Kmb.RunAsync("lab", verb, "--policy", "dynamic", "--module", dir, "--threshold", "32", "--report", temp.Combine("report"));

        run.ExitCode.Should().Be(2);
        run.StandardError.Should().Contain("was generated with --threshold 64 --period-ms 200").And.Contain("not --threshold 32");
        Directory.Exists(temp.Combine("report")).Should().BeFalse();
    }

    [Fact]
    public async Task Lab_run_refuses_a_module_directory_that_was_never_built()
    {
        using var temp = new TempDir();
        var dir = temp.Combine("dyn");
        await Kmb.GenerateFixtureAsync(dir);

        var run = await Kmb.RunAsync("lab", "run", "--policy", "dynamic", "--module", dir, "--report", temp.Combine("report"));

        run.ExitCode.Should().Be(2);
        run.StandardError.Should().Contain("has no tun.ko").And.Contain("kmb build");
    }
}
