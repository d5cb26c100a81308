using System.Reflection;
using FluentAssertions;
using KmodBalance.Tests.Support;

namespace KmodBalance.Tests.Safety;

/// <summary>Every usage or input error exits 2 with one line; nothing unexpected shows a stack trace.</summary>
public class ExitCodeTests
{
    [Theory]
    [InlineData("--threshold abc", "--threshold")]
    [InlineData("--policy foo", "foo")]
    [InlineData("", "--out")]
    public async Task Parse_errors_of_generate_exit_2_with_one_line(string args, string named)
    {
        using var temp = new TempDir();
        string[] extra = args.Length == 0 ? [] : args.Split(' ');
        string[] outArgs = args.Length == 0 ? [] : ["--out", temp.Combine("o")];

        var run = await Kmb.RunAsync(["generate", "--tun-c", Fixtures.TunC("linux-5.10"), .. extra, .. outArgs]);

        run.ExitCode.Should().Be(2);
        OneLine(run.StandardError).Should().StartWith("kmb generate: ").And.Contain(named);
        run.StandardOutput.Should().NotContain("Usage:", "the error is not buried under the help text");
    }

    [Theory]
    [InlineData("simulate", "--seed", "-1")]
    [InlineData("lab", "run", "--test", "sctp")]
    [InlineData("lab", "compare", "--test", "sctp")]
    [InlineData("bench", "--queues", "many")]
    public async Task Parse_errors_of_every_verb_exit_2(params string[] args)
    {
        var run = await Kmb.RunAsync(args);

        run.ExitCode.Should().Be(2);
        OneLine(run.StandardError).Should().StartWith("kmb ");
    }

    [Theory]
    [InlineData("run", "--period-ms", "5", "--period-ms 5 is below")]
    [InlineData("compare", "--threshold", "-1", "--threshold -1 is out of range")]
    [InlineData("check", "--period-ms", "60001", "--period-ms 60001 is above")]
    [InlineData("capacity", "--threshold", "4294967296", "--threshold 4294967296 is out of range")]
    public async Task A_lab_verb_refuses_a_tunable_the_module_would_refuse_before_any_vm_work(string verb, string option, string value, string message)
    {
        using var temp = new TempDir();
        string[] policy = verb == "check" ? ["--policy", "dynamic"] : [];

        var run = await Kmb.RunAsync(["lab", verb, .. policy, option, value, "--report", temp.Combine("report")]);

        run.ExitCode.Should().Be(2);
        OneLine(run.StandardError).Should().Contain(message);
        Directory.Exists(temp.Combine("report")).Should().BeFalse();
    }

    [Theory]
    [InlineData("this is not json")]
    [InlineData("{}")]
    [InlineData("{\"tool\": \"KmodBalance\"}")]
    public async Task Build_of_a_directory_with_a_broken_manifest_exits_2_naming_it(string manifest)
    {
        using var temp = new TempDir();
        var dir = temp.Combine("mod");
        await Kmb.GenerateFixtureAsync(dir);
        File.WriteAllText(Path.Combine(dir, "manifest.json"), manifest);

        var run = await Kmb.RunAsync("build", dir, "--kdir", FakeKernel.Create(temp.Combine("kdir"), makeExit: 0));

        run.ExitCode.Should().Be(2);
        OneLine(run.StandardError).Should().Contain("manifest.json").And.Contain("not a manifest written by");
    }

    [Theory]
    [InlineData("run")]
    [InlineData("check")]
    public async Task Lab_with_a_module_of_a_broken_manifest_exits_2_before_any_vm_work(string verb)
    {
        using var temp = new TempDir();
        var dir = temp.Combine("mod");
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "manifest.json"), "{}");
        File.WriteAllText(Path.Combine(dir, "tun.ko"), "");

        var run = await Kmb.RunAsync("lab", verb, "--policy", "dynamic", "--module", dir, "--report", temp.Combine("report"));

        run.ExitCode.Should().Be(2);
        OneLine(run.StandardError).Should().Contain("not a manifest written by");
        Directory.Exists(temp.Combine("report")).Should().BeFalse();
    }

    [Fact]
    public async Task An_unexpected_exception_prints_one_line_and_where_the_trace_is()
    {
        var runner = Type.GetType("KmodBalance.Cli.CommandRunner, kmb", throwOnError: true)!;
        var run = runner.GetMethod("RunAsync", BindingFlags.Public | BindingFlags.Static, [typeof(Func<Task<int>>)])!;
        var stderr = new StringWriter();
        var before = Console.Error;
        int exit;
        Console.SetError(stderr);
        try
        {
            Func<Task<int>> verb = () => throw new InvalidOperationException("a bug");
            exit = await (Task<int>)run.Invoke(null, [verb])!;
        }
        finally
        {
            Console.SetError(before);
        }

        exit.Should().Be(1);
        var line = stderr.ToString().Split('\n').Single(l => l.Contains("unexpected error"));
        line.Should().Contain("a bug").And.NotContain(" at ");
        var trace = line[(line.IndexOf("full trace in ", StringComparison.Ordinal) + "full trace in ".Length)..line.IndexOf(';', line.IndexOf("full trace in ", StringComparison.Ordinal))];
        try
        {
            File.ReadAllText(trace).Should().Contain("InvalidOperationException: a bug").And.Contain(" at ");
        }
        finally
        {
            File.Delete(trace);
        }
    }

    private static string OneLine(string stderr)
    {
        var lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        lines.Should().ContainSingle($"one line, not: {stderr}");
        return lines[0];
    }
}
