using KmodBalance.Generator.Build;
using KmodBalance.Generator;
using KmodBalance.Generator.Output;
using KmodBalance.Harness.Images;
using KmodBalance.Harness.Infrastructure;
using KmodBalance.Harness.Lab.Steps;
using KmodBalance.Harness.Processes;
using KmodBalance.Harness.Vm;

namespace KmodBalance.Harness.Lab;

/// <summary>What every boot of one policy shares: the module under test and the images holding it.</summary>
public sealed record PreparedPolicy(string Policy, string ModuleDir, LabImages Images);

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

    /// <summary>Uses <paramref name="moduleDir"/> when given; otherwise generates the policy from the
    /// installed linux-source and builds it for the lab kernel under STATE/modules/POLICY.</summary>
    public static async Task<PreparedPolicy> PreparePolicyAsync(string policy, string? moduleDir, InstalledKernel kernel,
        string stateDir, string vmImagesDir, StepClock clock, IProgress<string> progress, CancellationToken ct)
    {
        stateDir = SecureStateDir(stateDir);
        var dir = moduleDir ?? await clock.Step($"build-module {policy}", async () =>
        {
            try
            {
                // A fetched kernel's module lives apart: kbuild's up-to-date check looks at tun.c, not at the headers.
                var name = kernel.SourceTree is null ? policy : $"{policy}-{kernel.Release}";
                return await ModulePipeline.GenerateAndBuildAsync(policy, kernel, Path.Combine(stateDir, "modules", name), progress, ct);
            }
            catch (KmbException e)
            {
                throw new LabStepException("build-module", e.Message);
            }
        }, ct);
        string tunKo;
        try
        {
            // A module built for another policy, unbuilt, or whose last build failed is refused here, for every verb.
            tunKo = BuiltModule.Verify(dir, policy);
        }
        catch (KmbException e)
        {
            throw new LabStepException("build-module", e.Message);
        }
        var images = await clock.Step($"prepare-images {policy}",
            () => PrepareImagesStep.RunAsync(vmImagesDir, stateDir, kernel, tunKo, progress, ct), ct);
        return new PreparedPolicy(policy, dir, images);
    }

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
