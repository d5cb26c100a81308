using Xunit;

namespace KmodBalance.Tests.Steering;

/// <summary>The tests that steer real taps run one at a time: on a 2-core runner, a remapper that a
/// parallel test holds up past its period would make a placement the test did not design.</summary>
[CollectionDefinition(Collection, DisableParallelization = true)]
public sealed class SteerLive
{
    public const string Collection = "eBPF steering on real taps";
}
