namespace KmodBalance.Generator.UserSpace;

/// <summary>How the user-space build of the balancer core is compiled.</summary>
/// <param name="Name">Short name, used for the binary's file name.</param>
/// <param name="Flags">gcc flags beyond the common ones.</param>
public sealed record UserSpaceFlavor(string Name, IReadOnlyList<string> Flags)
{
    /// <summary>AddressSanitizer + UBSan; the first report aborts the run.</summary>
    public static readonly UserSpaceFlavor Sanitized =
        new("asan", ["-O1", "-g", "-fno-omit-frame-pointer", "-fsanitize=address,undefined", "-fno-sanitize-recover=all"]);

    /// <summary>ThreadSanitizer, for the concurrent stress mode.</summary>
    public static readonly UserSpaceFlavor Thread = new("tsan", ["-O1", "-g", "-fsanitize=thread"]);

    /// <summary>As a kernel build would optimise, for instruction counts under callgrind.</summary>
    public static readonly UserSpaceFlavor Optimized = new("o2", ["-O2", "-g"]);

    /// <summary>Flags every flavor gets: the shim and the core must build warning-free.</summary>
    public static readonly IReadOnlyList<string> CommonFlags =
        ["-std=gnu11", "-Wall", "-Wextra", "-Werror", "-pthread"];
}
