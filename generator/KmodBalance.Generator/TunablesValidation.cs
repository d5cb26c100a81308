namespace KmodBalance.Generator;

public static class TunablesValidation
{
    /// <summary>Refuses values the module would refuse too, rather than clamping them: a usage error (exit 2)
    /// naming the first problem.</summary>
    public static Tunables Validated(this Tunables tunables) =>
        tunables.Problems() is [var first, ..] ? throw new KmbException(first) : tunables;
}
