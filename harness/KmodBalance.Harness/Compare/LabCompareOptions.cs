using KmodBalance.Harness.Lab;

namespace KmodBalance.Harness.Compare;

/// <summary>Everything `kmb lab compare` was asked to do. <see cref="Validate"/> is pure.</summary>
public sealed record LabCompareOptions
{
    public IReadOnlyList<Policy> Policies { get; init; } = PolicyNames.All;
    public int Trials { get; init; } = 20;
    public int DurationSeconds { get; init; } = 10;
    public int Flows { get; init; } = 4;
    public NetperfTest Test { get; init; } = NetperfTest.TcpStream;
    public int Queues { get; init; } = 4;
    public string ReportDir { get; init; } = "out/compare";
    /// <summary>`--backend`: every policy's patched module, or the kernel's own tun.ko with kmbsteer for dynamic.</summary>
    public LabBackend Backend { get; init; } = LabBackend.Module;
    /// <summary>The state dir, the kernel (L1 and L2), vm-images/ and the tunables every policy's module is generated
    /// with (or kmbsteer attached with).</summary>
    public LabEnvironment Lab { get; init; } = new();

    public IReadOnlyList<string> Validate()
    {
        var e = new List<string>(PolicyNames.ListErrors(Policies));
        if (Trials is < 1 or > 200) e.Add("--trials must be between 1 and 200");
        if (DurationSeconds is < 1 or > 600) e.Add("--duration must be between 1 and 600 seconds");
        if (Flows is < 1 or > 64) e.Add("--flows must be between 1 and 64");
        if (Queues is < 1 or > 8) e.Add("--queues must be between 1 and 8 (the L2 guest gets one vCPU per queue)");
        if (string.IsNullOrWhiteSpace(ReportDir)) e.Add("--report must name a directory");
        e.AddRange(LabBackends.Validate(Backend, Policies, null, "--policies"));
        return e;
    }

    public TrialSettings TrialSettings => new(Flows, DurationSeconds, Test, Queues);
}
