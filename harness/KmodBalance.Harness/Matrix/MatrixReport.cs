using System.Text.Json;
using System.Text.Json.Serialization;
using KmodBalance.Harness.Reporting;

namespace KmodBalance.Harness.Matrix;

/// <summary>report.json of `kmb matrix`: every cell, kernel-major in plan order.</summary>
public sealed record MatrixReport(
    int Format,
    string ToolVersion,
    string RunId,
    DateTimeOffset StartedAt,
    double WallSeconds,
    bool Check,
    bool Run,
    IReadOnlyList<MatrixCell> Cells)
{
    public const int CurrentFormat = 1;

    public bool Passed => Cells.Count > 0 && Cells.All(c => c.Passed);

    public string Verdict => Passed ? StageVerdict.Pass : Cells.Any(c => c.Verdict == StageVerdict.Fail) ? StageVerdict.Fail : StageVerdict.Error;

    /// <summary>0 every cell passed, 1 otherwise: a cell that could not finish is a failed step of a matrix that
    /// ran and wrote its report, not a setup error, so the matrix exits as for a fail.</summary>
    public int ExitCode => ExitCodes.ForVerdict(Passed ? StageVerdict.Pass : StageVerdict.Fail);

    public string ToJson() => JsonSerializer.Serialize(this, MatrixJsonContext.Default.MatrixReport);

    public static MatrixReport FromJson(string json) =>
        JsonSerializer.Deserialize(json, MatrixJsonContext.Default.MatrixReport) ?? throw new JsonException("report.json contains null");
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true)]
[JsonSerializable(typeof(MatrixReport))]
internal sealed partial class MatrixJsonContext : JsonSerializerContext;
