namespace KmodBalance.Model.Simulation;

/// <summary>
/// One simulated flow: starts at <see cref="StartSec"/>, carries <see cref="SizeBytes"/>
/// (infinity = runs to the end), offers <see cref="DemandGbps"/> until
/// <see cref="ChangeAtSec"/> and <see cref="DemandAfterGbps"/> from then on.
/// <see cref="PacketBytes"/> is the size tun sees (64 KiB GSO for TCP, 1500 for UDP).
/// </summary>
public sealed record FlowSpec(
    int Id,
    FiveTuple Tuple,
    double StartSec,
    double SizeBytes,
    double DemandGbps,
    double? ChangeAtSec = null,
    double DemandAfterGbps = 0)
{
    public const uint TcpPacketBytes = 65536;
    public const uint UdpPacketBytes = 1500;

    public uint PacketBytes => Tuple.IsTcp ? TcpPacketBytes : UdpPacketBytes;

    public double DemandAt(double tSec) => ChangeAtSec is { } c && tSec >= c ? DemandAfterGbps : DemandGbps;
}
