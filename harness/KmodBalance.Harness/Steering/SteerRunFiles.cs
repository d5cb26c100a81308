using System.Globalization;

namespace KmodBalance.Harness.Steering;

/// <summary>
/// The files of a running <c>kmb steer DEV</c> in STATE/steer/run/: DEV.stats (rewritten by kmbsteer after
/// every period, unless --stats names another file) and DEV.tunables, which kmbsteer reads again after
/// every period in which it changed, so that `kmb steer DEV --set` changes the tunables while attached.
/// The tunables file exists exactly while a run is attached (one run per device name on a host).
/// </summary>
public sealed class SteerRunFiles(string stateDir, string device)
{
    private readonly string _dir = Path.Combine(stateDir, "steer", "run");

    public string Stats => Path.Combine(_dir, device + ".stats");

    public string Tunables => Path.Combine(_dir, device + ".tunables");

    /// <summary>Whether a run of this device is attached (its tunables file exists).</summary>
    public bool Attached => File.Exists(Tunables);

    /// <summary>Replaces the tunables whole (rename): kmbsteer never reads a half-written file.</summary>
    public void WriteTunables(Tunables tunables)
    {
        Directory.CreateDirectory(_dir);
        var temp = Tunables + ".tmp";
        File.WriteAllText(temp, string.Create(CultureInfo.InvariantCulture,
            $"threshold {tunables.Threshold}\nperiod_ms {tunables.PeriodMs}\n"));
        File.Move(temp, Tunables, overwrite: true);
    }

    /// <summary>The tunables the attached run was last given.</summary>
    public Tunables ReadTunables()
    {
        long threshold = Vocabulary.Tunables.DefaultThreshold, period = Vocabulary.Tunables.DefaultPeriodMs;
        foreach (var line in File.ReadAllLines(Tunables))
        {
            var parts = line.Split(' ', 2);
            if (parts is ["threshold", var t]) threshold = long.Parse(t, CultureInfo.InvariantCulture);
            if (parts is ["period_ms", var p]) period = long.Parse(p, CultureInfo.InvariantCulture);
        }
        return new Tunables(threshold, period);
    }

    public void Remove() => File.Delete(Tunables);
}
