using System.Text.Json;
using System.Text.Json.Serialization;
using FluentAssertions;
using KmodBalance.Harness.Reporting;
using KmodBalance.Tests.Support;

namespace KmodBalance.Tests.Harness;

/// <summary>The report layer every verb writes through: the directory writer's checks of a verb's
/// entries, and the report.json convention.</summary>
public sealed class ReportDirectoryTests
{
    private static readonly ReportDirectory Output = new(ReportDirectory.RawDir, "figure.png");

    [Fact]
    public void Every_report_owns_its_json_junit_and_summary_and_the_names_it_declares() =>
        Output.OwnNames.Should().BeEquivalentTo(["report.json", "junit.xml", "summary.md", "raw", "figure.png"]);

    [Fact]
    public async Task Entries_land_under_their_relative_paths_beside_the_three_texts()
    {
        using var tmp = new TempDir();
        var dir = tmp.Combine("report");

        await Output.WriteAsync(dir, "{}", "<testsuites/>", "# s", [ReportFile.Text("raw/a/b.txt", "b"), ReportFile.Saved("figure.png", p => File.WriteAllText(p, "png"))]);

        Directory.GetFiles(dir, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(dir, f)).Order(StringComparer.Ordinal)
            .Should().Equal("figure.png", "junit.xml", "raw/a/b.txt", "report.json", "summary.md");
        File.ReadAllText(Path.Combine(dir, "report.json")).Should().Be("{}");
    }

    [Theory]
    [InlineData("notes.txt")]
    [InlineData("consoles/l1.log")]
    public async Task An_entry_under_a_name_not_declared_is_refused_before_anything_is_written(string path)
    {
        // Written, it would make the next run refuse the directory as holding what kmb did not write.
        using var tmp = new TempDir();
        var dir = tmp.Combine("report");

        await FluentActions.Awaiting(() => Output.WriteAsync(dir, "{}", "", "", [ReportFile.Text(path, "x")]))
            .Should().ThrowAsync<ArgumentException>().WithMessage($"'{path}' is not under a name this report declares*");
        Directory.Exists(dir).Should().BeFalse();
    }

    [Theory]
    [InlineData("../escape.txt")]
    [InlineData("raw/../../escape.txt")]
    [InlineData("/tmp/escape.txt")]
    [InlineData("raw//x.txt")]
    [InlineData("raw/./x.txt")]
    public async Task An_entry_outside_the_report_is_refused(string path)
    {
        using var tmp = new TempDir();
        var staging = Directory.CreateDirectory(tmp.Combine("staging")).FullName;

        await FluentActions.Awaiting(() => Output.WriteIntoAsync(staging, "{}", "", "", [ReportFile.Text(path, "x")]))
            .Should().ThrowAsync<ArgumentException>().WithMessage($"'{path}' is not a plain relative path*");
        Directory.GetFileSystemEntries(staging).Should().BeEmpty();
    }

    [Fact]
    public void Report_json_is_camel_case_indented_with_enums_by_name_and_nan_written()
    {
        var json = ReportJson.For<Sample>(o => new SampleJsonContext(o));

        var text = json.Serialize(new Sample(double.NaN, SampleKind.Decoy));

        text.Should().Be("{\n  \"meanMbps\": \"NaN\",\n  \"kind\": \"Decoy\"\n}".ReplaceLineEndings(Environment.NewLine));
        json.Deserialize(text).Kind.Should().Be(SampleKind.Decoy);
        FluentActions.Invoking(() => json.Deserialize("null")).Should().Throw<JsonException>();
    }

    [Fact]
    public void A_context_that_does_not_serialize_the_report_is_refused_at_once() =>
        FluentActions.Invoking(() => ReportJson.For<string>(o => new SampleJsonContext(o)))
            .Should().Throw<ArgumentException>().WithMessage("SampleJsonContext does not serialize String*");
}

public enum SampleKind { Test, Decoy }

public sealed record Sample(double MeanMbps, SampleKind Kind);

[JsonSerializable(typeof(Sample))]
internal sealed partial class SampleJsonContext : JsonSerializerContext;
