namespace KmodBalance.Model.Simulation;

/// <summary>
/// One simulated flow: starts at <see cref="StartSec"/>, carries <see cref="SizeBytes"/>
/// (infinity = runs to the end), offers <see cref="DemandGbps"/> until
/// <see cref="ChangeAtSec"/> and <see cref="DemandAfterGbps"/> from then on.
/// <see cref="PacketBytes"/> is the size tun sees (64 KiB GSO for TCP, 1500 for UDP);
/// <see cref="Segments"/> is what the balancer counts for it. <see cref="AppCpu"/> is the
/// guest vCPU its receiving application runs on (taken modulo the queue count): the guest
/// sends the flow's replies from there, which is what stock automq learns; null = the guest
/// never replies (one-way UDP).
/// </summary>
public sealed record FlowSpec(
    int Id,
    FiveTuple Tuple,
    double StartSec,
    double SizeBytes,
    double DemandGbps,
    double? ChangeAtSec = null,
    double DemandAfterGbps = 0,
    int? AppCpu = null)
{
    public const uint TcpPacketBytes = 65536;
    public const uint UdpPacketBytes = 1500;

    /// <summary>TCP payload per wire segment on a 1500-byte MTU with timestamps (the MSS a GSO skb is cut by).</summary>
    public const uint TcpMss = 1448;

    public uint PacketBytes => Tuple.IsTcp ? TcpPacketBytes : UdpPacketBytes;

    /// <summary>Segments of one packet of this flow (a 64 KiB TCP GSO skb: 46).</summary>
    public uint Segments => SegmentsOf(Tuple.IsTcp, PacketBytes);

    /// <summary>
    /// <c>max(gso_segs, 1)</c> as the kernel would see it: a TCP skb larger than one MSS is a
    /// GSO skb of ceil(bytes / MSS) segments; anything else (UDP GSO is not modelled) is 1.
    /// </summary>
    public static uint SegmentsOf(bool tcp, uint bytes) =>
        tcp && bytes > TcpMss ? (bytes + TcpMss - 1) / TcpMss : 1;

    public double DemandAt(double tSec) => ChangeAtSec is { } c && tSec >= c ? DemandAfterGbps : DemandGbps;
}
