using System.Globalization;
using KmodBalance.Harness.Reporting;

namespace KmodBalance.Harness.Compare;

/// <summary>junit.xml of a compare (<see cref="TrialsJunit"/>): a trial's system-out is its throughput,
/// queues used, Jain and migrations; a policy's properties are its summary figures.</summary>
public static class CompareJunit
{
    public static string Render(CompareReport r) =>
        TrialsJunit.Render("kmb-compare", r.Policies, r.Trials.Select(Case).ToList(), policy => Properties(r, policy), r.WallSeconds, r.Error, "CompareError");

    private static JunitTrial Case(TrialResult t) => new(t.Policy, t.Trial, t.WallSeconds, string.Create(CultureInfo.InvariantCulture,
        $"{t.TotalMbps:0.00} Mbit/s, {t.QueuesUsed} queues used, Jain {t.Jain:0.000}, migrations {t.Migrations?.ToString(CultureInfo.InvariantCulture) ?? "-"}"),
        t.Error);

    private static IEnumerable<(string, string)> Properties(CompareReport r, string policy)
    {
        var summary = r.Summaries.FirstOrDefault(s => s.Policy == policy);
        yield return ("meanMbps", summary?.MeanMbps.ToString("0.00", CultureInfo.InvariantCulture) ?? "");
        yield return ("stdDevMbps", summary?.StdDevMbps.ToString("0.00", CultureInfo.InvariantCulture) ?? "");
        yield return ("allQueuesUsedShare", summary?.AllQueuesUsedShare.ToString("0.00", CultureInfo.InvariantCulture) ?? "");
        yield return ("test", r.Test);
    }
}
