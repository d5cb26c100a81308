using KmodBalance.Generator.Build;
using KmodBalance.Generator;
using KmodBalance.Generator.Output;
using KmodBalance.Harness.Images;
using KmodBalance.Harness.Infrastructure;
using KmodBalance.Harness.Lab.Steps;
using KmodBalance.Harness.Processes;
using KmodBalance.Harness.Steering;
using KmodBalance.Harness.Vm;

namespace KmodBalance.Harness.Lab;

/// <summary>What every boot of one policy shares: the module under test and the images holding it.</summary>
public sealed record PreparedPolicy(Policy Policy, string ModuleDir, LabImages Images)
{
    /// <summary>What balances: the module, or kmbsteer on the kernel's own tun.ko (<see cref="ModuleDir"/> is then
    /// the kernel's drivers/net).</summary>
    public LabBackend Backend { get; init; } = LabBackend.Module;

    /// <summary>The tunables kmbsteer attaches with (--backend ebpf): the command's, as a module would be built with.</summary>
    public Tunables SteerTunables { get; init; } = new();

    /// <summary>Whether L1 attaches kmbsteer to the tap: the eBPF back end's dynamic.</summary>
    public bool Steers => Backend == LabBackend.Ebpf && Policy != Policy.Stock;
}

/// <summary>The steps before any VM boots. `lab run` does them once; `lab compare` builds each
/// policy once and reuses it for every trial.</summary>
public static class LabPreparation
{
    public static readonly string[] RequiredTools =
        ["ip", "qemu-system-x86_64", "busybox", "dash", "dropbear", "dropbearkey", "dropbearconvert", "ethtool", "tc",
         "netperf", "netserver", "kmod", "modprobe", "depmod", "ldd", "timeout", "gcc"];

    /// <param name="fetched">A fetched kernel (`--kernel GEN`) to use instead of the installed one.</param>
    public static Task<InstalledKernel> CheckToolsAsync(string? kernelRelease, StepClock clock, CancellationToken ct, InstalledKernel? fetched = null) =>
        clock.Step("check-tools", () =>
        {
            if (ToolCatalog.Missing(RequiredTools) is { Count: > 0 } missing)
                throw new LabStepException("check-tools", "missing host tools: " + string.Join("; ", missing) +
                    " (run `setup/install-deps.sh`, or any ./kmb lab verb, which installs them)");
            try
            {
                return Task.FromResult(fetched ?? InstalledKernel.Find(kernelRelease));
            }
            catch (KmbException e)
            {
                throw new LabStepException("check-tools", e.Message);
            }
        }, ct);

    /// <summary>Uses <paramref name="moduleDir"/> when given (it must hold the policy, built with the command's
    /// tunables); otherwise generates the policy from the kernel's tun.c and builds it under
    /// STATE/modules/<see cref="LabModules.CacheName"/>.</summary>
    public static async Task<PreparedPolicy> PreparePolicyAsync(Policy policy, string? moduleDir, LabModules modules,
        string vmImagesDir, StepClock clock, IProgress<string> progress, CancellationToken ct)
    {
        var stateDir = SecureStateDir(modules.StateDir);
        var kernel = modules.Kernel;
        if (modules.Backend == LabBackend.Ebpf)
            return await PrepareEbpfAsync(policy, modules, stateDir, vmImagesDir, clock, progress, ct);
        var dir = moduleDir ?? await clock.Step($"build-module {policy.Name()}", async () =>
        {
            try
            {
                return await ModulePipeline.GenerateAndBuildAsync(policy, modules.Tunables, kernel,
                    Path.Combine(stateDir, "modules", LabModules.CacheName(policy, kernel, modules.Tunables)), modules.Sources, progress, ct);
            }
            catch (KmbException e)
            {
                throw new LabStepException("build-module", e.Message);
            }
        }, ct);
        string tunKo;
        try
        {
            // A module built for another policy or other tunables, unbuilt, or whose last build failed is refused here, for every verb.
            tunKo = BuiltModule.Verify(dir, policy, modules.Tunables);
        }
        catch (KmbException e)
        {
            throw new LabStepException("build-module", e.Message);
        }
        var images = await clock.Step($"prepare-images {policy.Name()}",
            () => PrepareImagesStep.RunAsync(vmImagesDir, stateDir, kernel, tunKo, progress, ct), ct);
        return new PreparedPolicy(policy, dir, images);
    }

    /// <summary>--backend ebpf: the kernel's own tun.ko, unmodified, and kmbsteer (built once, cached by its
    /// sources), both in the L1 image; every policy of this back end gets the same image, so stock differs
    /// from dynamic only by whether kmbsteer is attached.</summary>
    private static async Task<PreparedPolicy> PrepareEbpfAsync(Policy policy, LabModules modules, string stateDir,
        string vmImagesDir, StepClock clock, IProgress<string> progress, CancellationToken ct)
    {
        var kernel = modules.Kernel;
        if (LabBackends.Validate(LabBackend.Ebpf, [policy], null) is { Count: > 0 } invalid)
            throw new LabStepException("backend", invalid[0]);
        var tunKo = StockTunPath(kernel);
        if (!File.Exists(tunKo))
            throw new LabStepException("stock-tun", $"{tunKo} not found: --backend ebpf loads the kernel's own tun.ko " +
                "(install the kernel's image package, or fetch the generation with `kmb kernel fetch`)");
        var kmbsteer = await clock.Step("build-kmbsteer", async () =>
        {
            try
            {
                return await SteerTool.BuildAsync(stateDir, progress, ct);
            }
            catch (KmbException e)
            {
                throw new LabStepException("build-kmbsteer", e.Message);
            }
        }, ct);
        var images = await clock.Step($"prepare-images {policy.Name()} (ebpf)",
            () => PrepareImagesStep.RunAsync(vmImagesDir, stateDir, kernel, tunKo, progress, ct,
                new Dictionary<string, string> { ["kmbsteer"] = kmbsteer }), ct);
        return new PreparedPolicy(policy, Path.GetDirectoryName(tunKo)!, images) { Backend = LabBackend.Ebpf, SteerTunables = modules.Tunables };
    }

    /// <summary>The kernel's own tun.ko, as its package installed it.</summary>
    public static string StockTunPath(InstalledKernel kernel) => Path.Combine(kernel.ModulesDir, "kernel", "drivers", "net", "tun.ko");

    /// <summary>The state dir checked (owner, mode, no symlink) before anything in it is trusted or written.</summary>
    public static string SecureStateDir(string stateDir)
    {
        try
        {
            return StateDirectory.Secure(stateDir);
        }
        catch (KmbException e)
        {
            throw new LabStepException("state-dir", e.Message);
        }
    }

    /// <summary>KVM or TCG for L1, decided by booting the kernel once (see <see cref="AccelProbe"/>).</summary>
    public static async Task<AccelDecision> ProbeRunnerAccelAsync(InstalledKernel kernel, StepClock clock, IProgress<string> progress, CancellationToken ct)
    {
        var decision = await clock.Step("accel-probe",
            async () => AccelProbe.Decide(await AccelProbe.ProbeHostAsync(kernel.VmlinuzPath, ct), "runner"), ct);
        progress.Report(decision.Message);
        return decision;
    }
}
