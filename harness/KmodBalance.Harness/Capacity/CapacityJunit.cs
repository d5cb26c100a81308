using System.Globalization;
using KmodBalance.Harness.Reporting;

namespace KmodBalance.Harness.Capacity;

/// <summary>junit.xml of a capacity run (<see cref="TrialsJunit"/>): a trial's system-out is what it
/// delivered, dropped and reordered; a policy's properties are its summary figures.</summary>
public static class CapacityJunit
{
    public static string Render(CapacityReport r) =>
        TrialsJunit.Render("kmb-capacity", r.Policies, r.Trials.Select(Case).ToList(), policy => Properties(r, policy), r.WallSeconds, r.Error, "CapacityError");

    private static JunitTrial Case(CapacityTrial t) => new(t.Policy, t.Trial, t.WallSeconds, string.Create(CultureInfo.InvariantCulture,
        $"{t.ThroughputMbps:0.000} Mbit/s, delivered {t.DeliveredFraction:P1}, drops {t.Drops}, reordered {t.Reordered}, " +
        $"migrations {t.Migrations}, Jain {t.Jain:0.000}, balancing {t.Balancing}"), t.Error);

    private static IEnumerable<(string, string)> Properties(CapacityReport r, string policy)
    {
        var s = r.Summaries.FirstOrDefault(x => x.Policy == policy);
        yield return ("meanMbps", s?.ThroughputMbps.Mean.ToString("0.000", CultureInfo.InvariantCulture) ?? "");
        yield return ("stdDevMbps", s?.ThroughputMbps.StdDev.ToString("0.000", CultureInfo.InvariantCulture) ?? "");
        yield return ("dips", s?.Dips.ToString(CultureInfo.InvariantCulture) ?? "");
        yield return ("reordered", s?.TotalReordered.ToString(CultureInfo.InvariantCulture) ?? "");
    }
}
