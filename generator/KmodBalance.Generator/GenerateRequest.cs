using KmodBalance.Generator.Output;
using KmodBalance.Generator.Source;

namespace KmodBalance.Generator;

public sealed record GenerateRequest(TunSource Source, Policy Policy, Tunables Tunables, string OutDir, PatchAuthor Author);

/// <summary>What `generate` wrote, for the user's summary.</summary>
public sealed record GenerateResult(string OutDir, Manifest Manifest, IReadOnlyList<string> Notes);
