using System.CommandLine;
using KmodBalance.Generator;
using KmodBalance.Generator.Output;
using KmodBalance.Harness.Lab;
using KmodBalance.Harness.Steering;

namespace KmodBalance.Cli.Commands;

/// <summary>
/// `kmb steer DEV`: dynamic balancing of a running multi-queue tap on an unmodified kernel, through
/// tun's eBPF steering hook (kmod/ebpf), until interrupted; `--detach` clears what a killed run left.
/// </summary>
internal static class SteerCommand
{
    public static Command Create()
    {
        var device = new Argument<string?>("DEV")
        {
            Description = "A running multi-queue tun/tap (e.g. QEMU's tap with queues=N)",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var policy = new Option<string>("--policy")
        {
            Description = $"Balancing policy ({PolicyNames.Listed(SteerOptions.Policies)})",
            DefaultValueFactory = _ => Policy.Dynamic.Name(),
        };
        // Every policy's name parses; one the eBPF back end does not implement is refused with the fix.
        policy.AcceptOnlyFromAmong(PolicyNames.NamesOf(PolicyNames.All));
        var threshold = new Option<long>("--threshold")
        {
            Description = "Load gap between a heavy and a light queue, in segments per period, above which flows move",
            DefaultValueFactory = _ => Tunables.DefaultThreshold,
        };
        var period = new Option<long>("--period-ms")
        {
            Description = $"Milliseconds between remapper runs ({Tunables.MinPeriodMs}-{Tunables.MaxPeriodMs})",
            DefaultValueFactory = _ => Tunables.DefaultPeriodMs,
        };
        var stats = new Option<string?>("--stats")
        {
            Description = "Rewrite this file after every period with the statistics (flows, migrations, periods, load and flows per queue); default STATE/steer/run/DEV.stats",
        };
        var duration = new Option<double?>("--duration") { Description = "Detach after this many seconds (default: until Ctrl-C or SIGTERM)" };
        var detach = new Option<bool>("--detach") { Description = "Only clear the device's steering program (what a killed kmb steer left set)" };
        var set = new Option<bool>("--set")
        {
            Description = "Change --threshold and/or --period-ms of the kmb steer attached to DEV, from its next period",
        };
        var bench = new Option<int?>("--bench")
        {
            Description = "Instead of steering (no DEV): the program's cost through BPF_PROG_TEST_RUN, averaged over this many runs",
        };
        var stateDir = new Option<string>("--state-dir")
        {
            Description = "Where kmbsteer is built and cached",
            DefaultValueFactory = _ => StateDirectory.DefaultPath,
        };

        var command = new Command("steer",
            "Balance a running multi-queue tap with the eBPF back end (no module swap): the steering program places " +
            "flows, the module's balancer core remaps them every period; the device is stock again on exit")
        {
            device, policy, threshold, period, stats, duration, detach, set, bench, stateDir,
        };
        command.SetAction((r, ct) => CommandRunner.RunAsync(async () =>
        {
            var progress = new ConsoleProgress();
            if (r.GetValue(bench) is { } repeat)
            {
                if (r.GetValue(device) is not null || repeat < 1)
                    throw new KmbException("--bench takes a positive number of runs and no device (e.g. kmb steer --bench 1000000)");
                var tool = await SteerTool.BuildAsync(StateDirectory.Secure(r.GetValue(stateDir)!), progress, ct);
                return await SteerSession.BenchAsync(tool, repeat, new StdoutLines(), ct);
            }
            var options = SteerOptions.Create(r.GetValue(device) ?? throw new KmbException("name the device to steer: kmb steer DEV"),
                PolicyNames.Parse(r.GetValue(policy)!), new Tunables(r.GetValue(threshold), r.GetValue(period)), r.GetValue(stats), r.GetValue(duration));
            var state = StateDirectory.Secure(r.GetValue(stateDir)!);
            var files = new SteerRunFiles(state, options.Device);
            if (r.GetValue(set))
                return Set(files, options.Device, r.GetResult(threshold) is { Implicit: false } ? options.Tunables.Threshold : null,
                    r.GetResult(period) is { Implicit: false } ? options.Tunables.PeriodMs : null);
            var kmbsteer = await SteerTool.BuildAsync(state, progress, ct);
            if (r.GetValue(detach))
                return await SteerSession.DetachAsync(kmbsteer, options.Device, progress, ct);
            if (files.Attached)
                throw new KmbException($"{files.Tunables} exists: a kmb steer is attached to {options.Device} on this host " +
                    "(or was killed: then kmb steer DEV --detach, and delete that file)");
            return await SteerSession.AttachAsync(kmbsteer, options, files, progress, ct);
        }));
        return command;
    }

    /// <summary>The new tunables for the attached run; what was not given stays as it was.</summary>
    private static int Set(SteerRunFiles files, string device, long? threshold, long? periodMs)
    {
        if (!files.Attached)
            throw new KmbException($"no kmb steer is attached to {device} on this host ({files.Tunables} is missing): start one with kmb steer {device}");
        if (threshold is null && periodMs is null)
            throw new KmbException("--set needs --threshold or --period-ms (or both)");
        var now = files.ReadTunables();
        var next = new Tunables(threshold ?? now.Threshold, periodMs ?? now.PeriodMs).Validated();
        files.WriteTunables(next);
        Console.WriteLine($"kmb: {device}: threshold {next.Threshold}, period {next.PeriodMs} ms from its next period");
        return 0;
    }

    /// <summary>The bench's figures as plain key=value lines on stdout, for scripts.</summary>
    private sealed class StdoutLines : IProgress<string>
    {
        public void Report(string value) => Console.WriteLine(value);
    }
}
