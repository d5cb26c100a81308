using System.Diagnostics;
using System.Globalization;
using KmodBalance.Generator.Kernels;
using KmodBalance.Harness.Infrastructure;
using KmodBalance.Harness.Lab;
using KmodBalance.Harness.Reporting;
using KmodBalance.Harness.Ssh;

namespace KmodBalance.Harness.Check;

/// <summary>`lab check --scenario stress`: vm-images/l1/stress.sh in the booted L1, judged by <see cref="StressJudge"/>.</summary>
public sealed partial class CheckRun
{
    private async Task RunStressAsync(LabSshClient l1, StressPlan plan, CancellationToken ct)
    {
        var sw = Stopwatch.StartNew();
        var env = string.Join(' ', plan.Environment.OrderBy(e => e.Key, StringComparer.Ordinal).Select(e => $"{e.Key}={e.Value}"));
        var raw = await _clock.Step("scenario stress", async () =>
        {
            var r = await l1.RunAsync("scenario stress", $"{env} /opt/kmb/stress.sh {Tap}", plan.Bound, ct, check: false);
            if (r.ExitCode != 0)
                throw new LabStepException("scenario stress", $"stress.sh exited {r.ExitCode}: {r.StdErr.Trim()}");
            return r.StdOut;
        }, ct);
        _files["raw/stress.txt"] = raw;
        string? problem = null;
        try
        {
            var output = StressOutput.Parse(raw);
            var verdicts = StressJudge.Judge(output, plan, _l1.Vm?.Console ?? "");
            _properties.AddRange(verdicts);
            foreach (var v in verdicts) progress.Report($"  stress: {v.Property}: {v.Verdict.ToUpperInvariant()} - {v.Message}");
        }
        catch (FormatException e)
        {
            problem = $"cannot read the stress output: {e.Message}";
            _properties.Add(new PropertyVerdict(StressPlan.ScenarioName, "stress-output", LabVerdicts.Error, problem, []));
            progress.Report($"  stress: ERROR - {problem}");
        }
        _scenarios.Add(new ScenarioReport(StressPlan.ScenarioName,
            "the module under everything a user can do to a balancing tap: queues detached and attached, tunables and the balance " +
            "switch changed, a random-port flood, a steering eBPF program set and removed, the tap deleted and the module removed " +
            "under traffic, netconsole over the tap; then kmemleak and rmmod",
            4, null, null, [], [], Math.Round(sw.Elapsed.TotalSeconds, 2), null, null, null, problem)
        {
            Balancing = "on: balance_default=1 while the stress runs, so every tap it creates balances",
        });
    }

    /// <summary>The sanitisers of the kernel the module was built for, from its build tree's .config ("none" for a production kernel).</summary>
    private static string DebugOptionsOf(string headersDir)
    {
        var config = Path.Combine(headersDir, ".config");
        if (!File.Exists(config)) return "unknown (no .config in the kernel's build tree)";
        var enabled = DebugKernelConfig.Enabled(File.ReadAllText(config));
        return enabled.Count == 0 ? "none (a production kernel)" : string.Join(", ", enabled.Select(o => "CONFIG_" + o.ToString(CultureInfo.InvariantCulture)));
    }
}
