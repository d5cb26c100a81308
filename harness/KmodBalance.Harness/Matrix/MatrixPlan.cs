using KmodBalance.Generator;
using KmodBalance.Generator.Kernels;

namespace KmodBalance.Harness.Matrix;

/// <summary>One cell of the matrix: a kernel generation and a policy.</summary>
public sealed record MatrixCellPlan(KernelGeneration Kernel, Policy Policy)
{
    /// <summary>"5.10-dynamic": the cell's name in every report and its directory under cells/.</summary>
    public string Id => $"{Kernel.Name}-{Policy.Name()}";
}

/// <summary>What `kmb matrix` runs: kernels x policies, kernel by kernel (a kernel's fetch and images
/// are shared by its policies), and which stages each cell goes through.</summary>
public sealed record MatrixPlan(IReadOnlyList<MatrixCellPlan> Cells, bool Check, bool Run)
{
    /// <summary>The policies a matrix can take: every policy that changes tun (stock is the baseline and has
    /// nothing to check), so a policy added to the vocabulary is taken as soon as it exists.</summary>
    public static IReadOnlyList<Policy> Policies => PolicyNames.Patched;

    /// <summary>Pure: the plan of "5.10,6.1,6.12" x "hash,dynamic", or the problems with the lists
    /// (each one line naming the bad value and what is accepted).</summary>
    public static (MatrixPlan? Plan, IReadOnlyList<string> Errors) Parse(string kernels, string policies, bool check, bool run)
    {
        var errors = new List<string>();
        var gens = new List<KernelGeneration>();
        foreach (var name in Split(kernels, "--kernels", errors))
        {
            try
            {
                var g = KernelGeneration.Parse(name);
                if (gens.Contains(g)) errors.Add($"--kernels names {g.Name} twice");
                else gens.Add(g);
            }
            catch (KmbException e)
            {
                errors.Add("--kernels: " + e.Message);
            }
        }
        var pols = new List<Policy>();
        foreach (var name in Split(policies, "--policies", errors))
        {
            if (!PolicyNames.TryParse(name, out var p) || !Policies.Contains(p))
                errors.Add($"--policies: unknown policy '{name}': the matrix takes {PolicyNames.Listed(Policies)}");
            else if (pols.Contains(p)) errors.Add($"--policies names {name} twice");
            else pols.Add(p);
        }
        if (errors.Count > 0) return (null, errors);
        return (new MatrixPlan(gens.SelectMany(g => pols.Select(p => new MatrixCellPlan(g, p))).ToList(), check, run), errors);
    }

    private static IEnumerable<string> Split(string list, string option, List<string> errors)
    {
        var names = (list ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (names.Length == 0) errors.Add($"{option} must name at least one (comma-separated)");
        return names;
    }
}
