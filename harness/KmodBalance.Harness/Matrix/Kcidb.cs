using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace KmodBalance.Harness.Matrix;

/// <summary>
/// kcidb.json: the matrix in KCIDB I/O schema v4.0 (kernelci/kcidb-io), for CI dashboards. Per cell
/// one checkout (the generation's Debian source with the policy's patch), one build (tun.ko with W=1
/// against its headers) and its tests: kmb.w1 (no warning), kmb.checkpatch and, when run, kmb.check
/// and kmb.run. Ids are "kmodbalance:RUNID-CELL[-TEST]"; KCIDB allows no null, so unknowns are omitted.
/// </summary>
public static class Kcidb
{
    public const string Origin = "kmodbalance";

    public static string Render(MatrixReport report)
    {
        var checkouts = new JsonArray();
        var builds = new JsonArray();
        var tests = new JsonArray();
        foreach (var c in report.Cells)
        {
            var id = $"{Origin}:{report.RunId}-{c.Id}";
            var checkout = Node(("id", id), ("origin", Origin), ("tree_name", $"debian-linux-{c.Kernel}"),
                ("comment", $"Linux {c.Kernel} {c.ImageVersion ?? ""} (Debian) with the kmb {c.Policy} tun patch".Replace("  ", " ", StringComparison.Ordinal)),
                ("start_time", Time(c.StartedAt)), ("valid", c.Times.Generate > 0 || c.Build == StageVerdict.Pass),
                ("patchset_hash", c.PatchSha256 is { } p ? PatchsetHash([p]) : null),
                ("misc", Node(("kernel", c.Kernel), ("policy", c.Policy), ("release", c.Release))));
            checkouts.Add(checkout);
            builds.Add(Node(("checkout_id", id), ("id", id), ("origin", Origin), ("start_time", Time(c.StartedAt)),
                ("duration", c.Times.Generate + c.Times.Build), ("architecture", "x86_64"), ("compiler", c.Compiler),
                ("config_name", "tun.ko W=1"), ("valid", c.Build == StageVerdict.Pass),
                ("misc", Node(("warnings", c.Warnings), ("vermagic", c.Vermagic)))));
            if (c.Build != StageVerdict.Pass) continue;
            tests.Add(Test(id, "w1", c.Warnings == 0 ? StageVerdict.Pass : StageVerdict.Fail, c.Times.Build,
                $"{c.Warnings} W=1 warnings", c.StartedAt));
            tests.Add(Test(id, "checkpatch", c.Checkpatch, c.Times.Checkpatch,
                $"checkpatch.pl --strict: {c.CheckpatchTotals?.ToString() ?? c.Checkpatch}", c.StartedAt));
            if (report.Check)
                tests.Add(Test(id, "check", c.CheckVerdict, c.Times.Check,
                    c.CheckProperties is { } n ? $"lab check: {n - c.CheckFailed} of {n} properties hold; taint {c.Taint ?? "-"}" : "lab check not reached",
                    c.StartedAt));
            if (report.Run)
                tests.Add(Test(id, "run", c.RunVerdict, c.Times.Run, "lab run: nested L1 + L2, netperf spread verdict", c.StartedAt));
        }
        var root = new JsonObject
        {
            ["version"] = new JsonObject { ["major"] = 4, ["minor"] = 0 },
            ["checkouts"] = checkouts,
            ["builds"] = builds,
            ["tests"] = tests,
        };
        // Relaxed escaping: "6.12.95+deb12" stays readable ('+' is not a problem outside HTML).
        return root.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }) + "\n";
    }

    /// <summary>KCIDB's status words: FAIL, ERROR, PASS, DONE, SKIP.</summary>
    public static string Status(string verdict) => verdict switch
    {
        StageVerdict.Pass => "PASS",
        StageVerdict.Fail => "FAIL",
        StageVerdict.Skipped => "SKIP",
        _ => "ERROR",
    };

    /// <summary>KCIDB's patchset_hash: sha256 over the newline-terminated sha256 of each patch, in order.</summary>
    public static string PatchsetHash(IEnumerable<string> patchSha256s) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.ASCII.GetBytes(string.Concat(patchSha256s.Select(h => h + "\n")))));

    private static JsonObject Test(string buildId, string name, string verdict, double seconds, string comment, DateTimeOffset start) =>
        Node(("build_id", buildId), ("id", $"{buildId}-{name}"), ("origin", Origin), ("path", $"kmb.{name}"),
            ("status", Status(verdict)), ("duration", seconds), ("start_time", Time(start)), ("comment", comment));

    private static string Time(DateTimeOffset t) => t.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'+00:00'", CultureInfo.InvariantCulture);

    /// <summary>An object of the non-null values only.</summary>
    private static JsonObject Node(params (string Key, object? Value)[] values)
    {
        var o = new JsonObject();
        foreach (var (key, value) in values.Where(v => v.Value is not null))
            o[key] = value switch
            {
                JsonNode n => n,
                string s => JsonValue.Create(s),
                bool b => JsonValue.Create(b),
                int i => JsonValue.Create(i),
                double d => JsonValue.Create(Math.Round(d, 2)),
                _ => throw new ArgumentException($"no KCIDB value for {key}", nameof(values)),
            };
        return o;
    }
}
