using KmodBalance.Harness.Lab;

namespace KmodBalance.Harness.Capacity;

/// <summary>Everything `kmb lab capacity` was asked to do. <see cref="Validate"/> is pure.</summary>
/// <remarks>The defaults are the thesis's setup made exact: 4 flows of <see cref="FlowPps"/> fit 4 queues
/// served at <see cref="ServicePps"/> each, while two flows on one queue offer 2 x 800 = 1600 > 1000
/// datagrams a second, so that queue delivers at most 1000 and the trial loses throughput. The rates are
/// ones L1 under TCG on a 2-core runner carries exactly (measured; see README), so that the policy, not the
/// emulator, decides what is delivered.</remarks>
public sealed record CapacityOptions
{
    public IReadOnlyList<Policy> Policies { get; init; } = [Policy.Hash, Policy.Dynamic];
    public int Trials { get; init; } = 10;
    public int DurationSeconds { get; init; } = 2;
    public int Flows { get; init; } = 4;
    public int Queues { get; init; } = 4;
    /// <summary>Datagrams a second each flow offers.</summary>
    public int FlowPps { get; init; } = 800;
    /// <summary>Datagrams a second each queue's reader takes (the emulated vCPU).</summary>
    public int ServicePps { get; init; } = 1000;
    /// <summary>UDP payload bytes of every datagram (throughput counts payload).</summary>
    public int PayloadBytes { get; init; } = 1000;
    /// <summary>Seeds the source ports of every trial (fresh ones per trial, reproducible per seed).</summary>
    public int Seed { get; init; } = 1;
    public string ReportDir { get; init; } = "out/capacity";
    /// <summary>The state dir, the kernel L1 boots, vm-images/ and the tunables every policy's module is generated with.</summary>
    public LabEnvironment Lab { get; init; } = new();

    /// <summary>After the flows' last scheduled send, how long the readers still deliver (one reader's
    /// slot at the service rate with room to spare): a datagram still queued then counts as dropped.</summary>
    public const int GraceMs = 100;

    /// <summary>A trial that delivered less than this fraction of what it offered "dipped" (thesis fig. 4.3).</summary>
    public const double DipFraction = 0.95;

    public IReadOnlyList<string> Validate()
    {
        var e = new List<string>(PolicyNames.ListErrors(Policies));
        if (Trials is < 1 or > 200) e.Add("--trials must be between 1 and 200");
        if (DurationSeconds is < 1 or > 60) e.Add("--duration must be between 1 and 60 seconds");
        if (Flows is < 1 or > 32) e.Add("--flows must be between 1 and 32");
        if (Queues is < 2 or > 16) e.Add("--queues must be between 2 and 16 (one emulated vCPU per queue)");
        if (FlowPps is < 1 or > 20000) e.Add("--flow-pps must be between 1 and 20000 datagrams a second");
        if (ServicePps is < 1 or > 100000) e.Add("--service-pps must be between 1 and 100000 datagrams a second");
        if (PayloadBytes is < 64 or > 1400) e.Add("--payload must be between 64 and 1400 bytes (one unfragmented datagram)");
        if (string.IsNullOrWhiteSpace(ReportDir)) e.Add("--report must name a directory");
        return e;
    }

    /// <summary>Datagrams each flow sends in a trial.</summary>
    public long DatagramsPerFlow => (long)FlowPps * DurationSeconds;

    /// <summary>Offered load in payload Mbit/s.</summary>
    public double OfferedMbps => Flows * (double)FlowPps * PayloadBytes * 8 / 1e6;
}
