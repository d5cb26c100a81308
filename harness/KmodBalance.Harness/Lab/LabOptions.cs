
namespace KmodBalance.Harness.Lab;

public enum Topology { Nested, Host }

/// <summary>Everything `kmb lab run` was asked to do. <see cref="Validate"/> is pure.</summary>
public sealed record LabOptions
{
    public string? ModuleDir { get; init; }
    public Policy Policy { get; init; } = Policy.Dynamic;
    public int Flows { get; init; } = 4;
    public int DurationSeconds { get; init; } = 10;
    public string ReportDir { get; init; } = "lab-report";
    public NetperfTest Test { get; init; } = NetperfTest.TcpStream;
    public int Queues { get; init; } = 4;
    public double MinShare { get; init; } = QueueShare.SpreadMinimum;
    public Topology Topology { get; init; } = Topology.Nested;
    public bool AllowHostModule { get; init; }
    /// <summary>`--backend`: the patched module, or kmbsteer on the kernel's own tun.ko.</summary>
    public LabBackend Backend { get; init; } = LabBackend.Module;
    /// <summary>The state dir, the kernel, vm-images/ and the tunables the module is generated with (or kmbsteer attached with).</summary>
    public LabEnvironment Lab { get; init; } = new();

    public IReadOnlyList<string> Validate()
    {
        var e = new List<string>();
        if (Flows is < 1 or > 64) e.Add("--flows must be between 1 and 64");
        if (DurationSeconds is < 1 or > 600) e.Add("--duration must be between 1 and 600 seconds");
        if (Queues is < 1 or > 8) e.Add("--queues must be between 1 and 8 (the L2 guest gets one vCPU per queue)");
        if (MinShare is < 0 or > 1 || double.IsNaN(MinShare)) e.Add("--min-share must be between 0 and 1");
        else if (Queues > 0 && MinShare * Queues > 1) e.Add($"--min-share {MinShare} cannot be met by all {Queues} queues at once");
        if (string.IsNullOrWhiteSpace(ReportDir)) e.Add("--report must name a directory");
        if (ModuleDir is not null && string.IsNullOrWhiteSpace(ModuleDir)) e.Add("--module must name a directory");
        if (AllowHostModule && Topology != Topology.Host) e.Add("--allow-host-module only applies to --topology host");
        e.AddRange(LabBackends.Validate(Backend, [Policy], ModuleDir));
        if (Backend == LabBackend.Ebpf && Topology == Topology.Host)
            e.Add("--topology host cannot be combined with --backend ebpf (host topology is not built for either back end): use --topology nested");
        return e;
    }
}
