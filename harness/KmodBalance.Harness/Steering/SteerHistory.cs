using System.Globalization;
using KmodBalance.Harness.Measurement;

namespace KmodBalance.Harness.Steering;

/// <summary>A remap as kmbsteer recorded it: the counters were read after <paramref name="BeginNs"/>, the
/// decisions were in the maps by <paramref name="EndNs"/> (CLOCK_MONOTONIC), and the statistics after it.</summary>
public sealed record SteerRemap(long BeginNs, long EndNs, BalanceStats Stats);

/// <summary>kmbsteer's history file (kmbsteer attach ... HISTORY_FILE; kmod/ebpf/kmbsteer.c): when the
/// program was set on the device and cleared again, every remap with its statistics, every change of the
/// queue count it followed. Times are CLOCK_MONOTONIC nanoseconds, the clock mqtap and udpflows stamp
/// with, so a remap is placed among the datagrams exactly (more exactly than mqtap's 5 ms samples of the
/// module's debugfs file, which only bound it between two readings).</summary>
public sealed record SteerHistory(
    long? StartNs,
    long? AttachBeginNs,
    long? AttachEndNs,
    int AttachQueues,
    long? PeriodMs,
    long? Threshold,
    IReadOnlyList<SteerRemap> Remaps,
    IReadOnlyList<(long BeginNs, long EndNs, int From, int To)> Resizes,
    long? DetachBeginNs,
    long? DetachEndNs,
    string? EndReason)
{
    public static SteerHistory Empty { get; } = new(null, null, null, 0, null, null, [], [], null, null, null);

    /// <summary>TUNSETSTEERINGEBPF(-1)'s errno at the detach (0: the program was cleared; null: no detach).</summary>
    public int? DetachErrno { get; init; }

    /// <summary>Frames tun queued on kmbsteer's helper queue while it attached (before its program was set,
    /// tun's own selection counts that queue): read and counted by kmbsteer, so lost to the device's reader.</summary>
    public long HelperFrames { get; init; }

    public bool Attached => AttachEndNs is not null;

    /// <exception cref="FormatException">A line kmbsteer does not write.</exception>
    public static SteerHistory Parse(string text, string device)
    {
        ArgumentNullException.ThrowIfNull(text);
        var h = Empty;
        var remaps = new List<SteerRemap>();
        var resizes = new List<(long, long, int, int)>();
        foreach (var raw in text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var bar = raw.IndexOf(" | ", StringComparison.Ordinal);
            var head = bar < 0 ? raw : raw[..bar];
            var words = head.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            var f = words.Skip(1).Select(w => w.Split('=', 2)).ToDictionary(p => p[0], p => p.Length == 2 ? p[1] : "");
            long Num(string key) => f.TryGetValue(key, out var v) && long.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out var n)
                ? n : throw new FormatException($"kmbsteer history: no number {key}= in '{raw}'");
            switch (words[0])
            {
                case "start":
                    h = h with { StartNs = Num("t_ns") };
                    break;
                case "attach":
                    if (h.AttachEndNs is not null) throw new FormatException($"kmbsteer history: a second attach '{raw}'");
                    h = h with { AttachBeginNs = Num("t_ns"), AttachEndNs = Num("end_ns"), AttachQueues = (int)Num("queues"),
                        PeriodMs = Num("period_ms"), Threshold = Num("threshold"),
                        // kmbsteer before it counted them wrote no helper_frames
                        HelperFrames = f.ContainsKey("helper_frames") ? Num("helper_frames") : 0 };
                    break;
                case "remap":
                    if (bar < 0) throw new FormatException($"kmbsteer history: a remap without statistics '{raw}'");
                    remaps.Add(new SteerRemap(Num("t_ns"), Num("end_ns"), SteerStatsParser.Parse(raw[(bar + 3)..].Replace(" | ", "\n", StringComparison.Ordinal), device)));
                    break;
                case "resize":
                    resizes.Add((Num("t_ns"), Num("end_ns"), (int)Num("from"), (int)Num("to")));
                    break;
                case "tunables":
                    h = h with { PeriodMs = Num("period_ms"), Threshold = Num("threshold") };
                    break;
                case "detach":
                    h = h with { DetachBeginNs = Num("t_ns"), DetachEndNs = Num("end_ns"), DetachErrno = (int)Num("errno") };
                    break;
                case "end":
                    h = h with { EndReason = f.TryGetValue("reason", out var r) ? r : "" };
                    break;
                default: throw new FormatException($"kmbsteer history: unexpected line '{raw}'");
            }
        }
        return h with { Remaps = remaps, Resizes = resizes };
    }
}
