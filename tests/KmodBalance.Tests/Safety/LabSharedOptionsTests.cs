using System.Text.RegularExpressions;
using FluentAssertions;
using KmodBalance.Tests.Support;

namespace KmodBalance.Tests.Safety;

/// <summary>The options every lab verb shares read the same in each verb's --help (issue 10: they had
/// drifted when each command spelled them itself).</summary>
public sealed partial class LabSharedOptionsTests
{
    private static readonly string[] Verbs = ["run", "compare", "check", "capacity"];

    [Theory]
    [InlineData("--state-dir", new[] { "run", "compare", "check", "capacity" })]
    [InlineData("--kernel-release", new[] { "run", "compare", "check", "capacity" })]
    [InlineData("--kernel", new[] { "run", "compare", "check", "capacity" })]
    [InlineData("--backend", new[] { "run", "compare", "check" })]
    [InlineData("--threshold", new[] { "run", "compare", "check", "capacity" })]
    [InlineData("--period-ms", new[] { "run", "compare", "check", "capacity" })]
    public async Task A_shared_option_has_the_same_words_and_default_in_every_lab_verb(string option, string[] verbs)
    {
        var help = new Dictionary<string, string>();
        foreach (var verb in Verbs)
        {
            var run = await Processes.KmbAsync("lab", verb, "--help");
            run.ExitCode.Should().Be(0);
            if (OptionText(run.StandardOutput, option) is { } text)
                help[verb] = text;
        }

        help.Keys.Should().BeEquivalentTo(verbs);
        help.Values.Distinct().Should().ContainSingle($"{option} reads the same in {string.Join(", ", verbs)}");
    }

    [Theory]
    [InlineData("--threshold")]
    [InlineData("--period-ms")]
    public async Task A_tunable_reads_in_every_lab_verb_as_in_generate(string option)
    {
        var generate = await Processes.KmbAsync("generate", "--help");
        var lab = await Processes.KmbAsync("lab", "run", "--help");

        OptionText(generate.StandardOutput, option).Should().NotBeNull()
            .And.Be(OptionText(lab.StandardOutput, option), "the lab builds the module with the tunables generate would");
    }

    [Fact]
    public async Task Capacity_says_why_it_has_no_backend()
    {
        var run = await Processes.KmbAsync("lab", "capacity", "--help");

        run.StandardOutput.Should().Contain("no --backend");
    }

    /// <summary>The option's description and default as --help prints them (wrapped lines joined), or null.</summary>
    private static string? OptionText(string help, string option)
    {
        var lines = help.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var m = OptionLine().Match(lines[i]);
            if (!m.Success || m.Groups["name"].Value != option) continue;
            var text = m.Groups["text"].Value.Trim();
            for (var j = i + 1; j < lines.Length && ContinuationLine().IsMatch(lines[j]); j++)
                text += " " + lines[j].Trim();
            return text;
        }
        return null;
    }

    [GeneratedRegex(@"^\s{2}(?<name>--[a-z-]+)(\s+<[^>]+>)?(\s+\(REQUIRED\))?\s{2,}(?<text>.*)$")]
    private static partial Regex OptionLine();

    [GeneratedRegex(@"^\s{20,}\S")]
    private static partial Regex ContinuationLine();
}
