using System.Net;

namespace KmodBalance.Model.Simulation;

/// <summary>A flow's 5-tuple (host -> guest direction).</summary>
public sealed record FiveTuple(IPAddress Src, IPAddress Dst, ushort SrcPort, ushort DstPort, byte Proto)
{
    public const byte Tcp = 6;
    public const byte Udp = 17;

    public bool IsTcp => Proto == Tcp;

    /// <summary>
    /// A deterministic 32-bit flow hash of the tuple under <paramref name="seed"/> (stands in
    /// for the kernel's flow hash, whose key is random per boot: a new seed is a new boot).
    /// </summary>
    public uint Hash(ulong seed)
    {
        ulong h = Rng.Mix(seed ^ 0x746F6E2D68617368UL);
        foreach (var b in Src.GetAddressBytes())
            h = Rng.Mix(h ^ b);
        foreach (var b in Dst.GetAddressBytes())
            h = Rng.Mix(h ^ (0x100UL | b));
        h = Rng.Mix(h ^ ((ulong)SrcPort << 24) ^ ((ulong)DstPort << 8) ^ Proto);
        return (uint)(h ^ (h >> 32));
    }
}
