using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace KmodBalance.Harness.Steering;

/// <summary>A transport flow as the steering program parses it from a packet.</summary>
public sealed record SteerFlow(IPAddress Source, IPAddress Destination, ProtocolType Protocol, ushort SourcePort, ushort DestinationPort)
{
    private const uint FnvBasis = 0x811c9dc5;
    private const uint FnvPrime = 0x01000193;

    /// <summary>
    /// The program's flow hash (kmod/ebpf/steer.bpf.c, <c>steer_flow_hash</c>): words source, destination,
    /// ports, protocol, each as a little-endian load of the packet's bytes (an IPv6 address is the XOR of
    /// its four words; ports the first four bytes of the TCP/UDP header), FNV-1a over the words, then
    /// murmur3's finaliser. The program keys its flow table by it, so a model fed this hash sees the same flows.
    /// </summary>
    public uint Hash
    {
        get
        {
            uint h = FnvBasis;
            h = Mix(h, Fold(Source));
            h = Mix(h, Fold(Destination));
            h = Mix(h, Protocol is ProtocolType.Tcp or ProtocolType.Udp ? PortsWord() : 0);
            h = Mix(h, (uint)Protocol & 0xff);
            return Avalanche(h);
        }
    }

    /// <summary>The packet line of <c>kmbsteer trace</c> (without the segments).</summary>
    public string TraceText => $"{Source} {Destination} {(int)Protocol} {SourcePort} {DestinationPort}";

    private uint PortsWord()
    {
        Span<byte> ports = stackalloc byte[4];
        BinaryPrimitives.WriteUInt16BigEndian(ports, SourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(ports[2..], DestinationPort);
        return BinaryPrimitives.ReadUInt32LittleEndian(ports);
    }

    private static uint Fold(IPAddress address)
    {
        var bytes = address.GetAddressBytes();
        uint word = 0;
        for (int i = 0; i < bytes.Length; i += 4)
            word ^= BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(i, 4));
        return word;
    }

    private static uint Mix(uint h, uint word) => unchecked((h ^ word) * FnvPrime);

    private static uint Avalanche(uint h)
    {
        unchecked
        {
            h ^= h >> 16;
            h *= 0x85ebca6b;
            h ^= h >> 13;
            h *= 0xc2b2ae35;
            h ^= h >> 16;
        }
        return h;
    }
}
