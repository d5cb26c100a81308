using System.CommandLine;
using KmodBalance.Generator.Output;
using KmodBalance.Harness.Lab;

namespace KmodBalance.Cli.Commands;

/// <summary>
/// The options the lab verbs (run, compare, check, capacity) share, each defined once: their words and
/// defaults had drifted apart when every command spelled them itself ("Guest kernel release" in
/// three, "Lab kernel release" in one; three wordings of the state dir).
/// </summary>
internal static class LabSharedOptions
{
    public static Option<string> StateDir() => new("--state-dir")
    {
        Description = "Where kernels, modules, images and keys are cached",
        DefaultValueFactory = _ => StateDirectory.DefaultPath,
    };

    public static Option<string?> KernelRelease() => new("--kernel-release")
    {
        Description = "Installed kernel release the lab boots as L1 (and L2) (default: newest installed *-cloud-amd64)",
    };

    public static Option<string?> Kernel() =>
        KernelCommand.KernelOption("build each policy's module for that generation and boot its kernel in the lab");

    /// <summary>`--backend module|ebpf`.</summary>
    public static Option<string> Backend()
    {
        var backend = new Option<string>("--backend")
        {
            Description = "module (the patched tun.ko built for the policy) or ebpf (the kernel's own unmodified tun.ko; " +
                          "dynamic = kmbsteer's eBPF steering program on the tap, stock = no program; no hash or adaptive)",
            DefaultValueFactory = _ => "module",
        };
        backend.AcceptOnlyFromAmong([.. LabBackends.Names]);
        return backend;
    }
}

/// <summary>
/// The options every lab verb reads into its <see cref="LabEnvironment"/> (state dir, kernel, tunables):
/// added to a command together and read together, so that no verb binds them its own way.
/// </summary>
internal sealed class LabEnvironmentOptions
{
    private readonly Option<string> _stateDir = LabSharedOptions.StateDir();
    private readonly Option<string?> _release = LabSharedOptions.KernelRelease();
    private readonly Option<string?> _generation = LabSharedOptions.Kernel();
    private readonly Option<long> _threshold = TunableOptions.Threshold();
    private readonly Option<long> _period = TunableOptions.PeriodMs();

    public void AddTo(Command command)
    {
        foreach (var option in new Option[] { _stateDir, _release, _generation, _threshold, _period })
            command.Options.Add(option);
    }

    /// <summary>The tunables first: a bad one is refused (exit 2) before `--kernel` fetches or builds a kernel.</summary>
    public async Task<LabEnvironment> ReadAsync(ParseResult result, CancellationToken ct)
    {
        var tunables = TunableOptions.Read(result, _threshold, _period);
        return new LabEnvironment
        {
            StateDir = result.GetValue(_stateDir)!,
            KernelRelease = result.GetValue(_release),
            Tunables = tunables,
            Kernel = await KernelCommand.LabKernelAsync(result.GetValue(_generation), result.GetValue(_release), ct),
        };
    }
}
