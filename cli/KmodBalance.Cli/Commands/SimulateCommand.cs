using System.CommandLine;
using System.Diagnostics;
using KmodBalance.Model.Simulation;

namespace KmodBalance.Cli.Commands;

/// <summary>
/// <c>kmb simulate</c>: runs the reference model of each policy on a scenario or a packet
/// trace through the capacity simulator, prints a table per run and a summary, and
/// optionally writes JSON and a PNG plot. Bad input: a message naming the problem and the
/// fix, exit code 2, no output files.
/// </summary>
internal static class SimulateCommand
{
    private static readonly TimeSpan Heartbeat = TimeSpan.FromSeconds(10);

    public static Command Create()
    {
        var scenario = new Option<string?>("--scenario")
        {
            Description = $"Workload: {string.Join(", ", Scenarios.Names)} (default paper; ignored with --trace)",
        };
        var policy = new Option<string>("--policy")
        {
            Description = $"Policy: {string.Join(", ", PolicyNames.NamesOf(SimulatedPolicies.All))}, or all (compares the four)",
            DefaultValueFactory = _ => "all",
        };
        var queues = new Option<long>("--queues") { Description = "Queue count (guest vCPUs), 1..256", DefaultValueFactory = _ => 4 };
        var period = new Option<long>("--period-ms") { Description = $"Remap period in ms, {Tunables.MinPeriodMs}..{Tunables.MaxPeriodMs}", DefaultValueFactory = _ => Tunables.DefaultPeriodMs };
        var threshold = new Option<long>("--threshold") { Description = "Load difference (packets per period) that triggers a migration (adaptive: the floor under its 1/8-of-load threshold)", DefaultValueFactory = _ => Tunables.DefaultThreshold };
        var runs = new Option<long>("--runs") { Description = "Runs per policy (each with a fresh hash seed)", DefaultValueFactory = _ => 20 };
        var seed = new Option<ulong>("--seed") { Description = "Seed of the runs' flows and hash keys", DefaultValueFactory = _ => 1 };
        var json = new Option<string?>("--json") { Description = "Write the metrics as JSON to this file" };
        var plot = new Option<string?>("--plot") { Description = "Write a PNG of throughput per run per policy to this file" };
        var trace = new Option<string?>("--trace") { Description = $"Replay a packet trace (CSV: {TraceParser.Header})" };

        var command = new Command("simulate", "Simulate queue-selection policies on a capacity model of a multi-queue tap device")
        {
            scenario, policy, queues, period, threshold, runs, seed, json, plot, trace,
        };
        command.SetAction(r => Run(
            r.GetValue(scenario), r.GetValue(policy) ?? "all", r.GetValue(queues), r.GetValue(period),
            r.GetValue(threshold), r.GetValue(runs), r.GetValue(seed), r.GetValue(json), r.GetValue(plot), r.GetValue(trace)));
        return command;
    }

    private static int Run(string? scenario, string policyText, long queues, long periodMs, long threshold, long runs,
        ulong seed, string? jsonPath, string? plotPath, string? tracePath)
    {
        var problems = new List<string>(SimulationOptions.Problems(queues, periodMs, threshold, runs));
        var policies = SimulatedPolicies.Parse(policyText);
        if (policies is null)
            problems.Add($"--policy {policyText}: unknown policy; use {string.Join(", ", PolicyNames.NamesOf(SimulatedPolicies.All))} or all");
        string name = scenario ?? "paper";
        if (tracePath is null && !Scenarios.Names.Contains(name))
            problems.Add($"--scenario {name}: unknown scenario; use one of {string.Join(", ", Scenarios.Names)} (or --trace FILE)");
        if (tracePath is not null && scenario is not null)
            problems.Add("--scenario and --trace both given; give one (a trace is its own scenario)");
        foreach (var (opt, path) in new[] { ("--json", jsonPath), ("--plot", plotPath) })
        {
            if (path is null)
                continue;
            var dir = Path.GetDirectoryName(Path.GetFullPath(path));
            if (dir is not null && !Directory.Exists(dir))
                problems.Add($"{opt} {path}: directory {dir} does not exist; create it or pick another path");
        }
        if (problems.Count > 0)
            return Fail(problems);

        var options = new SimulationOptions((int)queues, (int)periodMs, (uint)threshold, (int)runs, seed);
        SimulationReport report;
        if (tracePath is not null)
        {
            IReadOnlyList<TracePacket> packets;
            try
            {
                packets = TraceParser.ParseFile(tracePath);
            }
            catch (TraceFormatException e)
            {
                return Fail([$"--trace {tracePath}: {e.Message}; fix that line (format: {TraceParser.Header})"]);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return Fail([$"--trace {tracePath}: cannot read it ({e.Message}); check the path"]);
            }
            var traceName = $"trace:{Path.GetFileName(tracePath)}";
            report = RunReportingProgress(traceName, policies!, options, one => Simulator.RunTrace(traceName, packets, one, options));
        }
        else
        {
            report = RunReportingProgress(name, policies!, options, one => Simulator.Run(name, one, options));
        }

        Console.Write(ReportText.Render(report));
        return WriteOutputs(report, jsonPath, plotPath);
    }

    /// <summary>
    /// Runs the policies one at a time (each call gives the same runs as one call for all) so that a long
    /// simulation can say how far it is: every <see cref="Heartbeat"/> on stderr, nothing for a short one.
    /// </summary>
    private static SimulationReport RunReportingProgress(string name, IReadOnlyList<Policy> policies, SimulationOptions options,
        Func<IReadOnlyList<Policy>, SimulationReport> runPolicies)
    {
        var done = 0;
        var clock = Stopwatch.StartNew();
        using var heartbeat = new Timer(_ => Console.Error.WriteLine(
            $"kmb simulate: {Volatile.Read(ref done)} of {policies.Count} policies done ({options.Runs} runs each), " +
            $"{clock.Elapsed.TotalSeconds:0} s so far"), null, Heartbeat, Heartbeat);
        var results = new List<PolicyResult>();
        foreach (var policy in policies)
        {
            results.AddRange(runPolicies([policy]).Policies);
            Interlocked.Increment(ref done);
        }
        return new SimulationReport(name, options, results);
    }

    /// <summary>
    /// Writes every output to a temporary file first and renames at the end, so a failure leaves none.
    /// The temporary names are unpredictable and created exclusively (O_EXCL) beside their target: a
    /// file or symlink planted there makes the creation fail instead of being written through, and the
    /// rename replaces a symlink at the target rather than following it.
    /// </summary>
    private static int WriteOutputs(SimulationReport report, string? jsonPath, string? plotPath)
    {
        var staged = new List<(string Temp, string Final)>();
        try
        {
            if (jsonPath is not null)
            {
                var tmp = CreateTempBeside(jsonPath, ".tmp");
                staged.Add((tmp, jsonPath));
                File.WriteAllText(tmp, ReportJson.Render(report) + Environment.NewLine);
            }
            if (plotPath is not null)
            {
                var tmp = CreateTempBeside(plotPath, ".tmp.png"); // ScottPlot picks the format by extension
                staged.Add((tmp, plotPath));
                ThroughputPlot.Save(report, tmp);
            }
            foreach (var (tmp, final) in staged)
                File.Move(tmp, final, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            foreach (var (tmp, _) in staged)
                File.Delete(tmp);
            return Fail([$"writing outputs failed ({e.Message}); check the --json/--plot paths"]);
        }
        foreach (var (_, final) in staged)
            Console.Error.WriteLine($"kmb simulate: wrote {final}");
        return 0;
    }

    private static string CreateTempBeside(string target, string suffix)
    {
        var full = Path.GetFullPath(target);
        var tmp = Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}{suffix}");
        new FileStream(tmp, FileMode.CreateNew, FileAccess.Write).Dispose();
        return tmp;
    }

    private static int Fail(IEnumerable<string> problems)
    {
        foreach (var p in problems)
            Console.Error.WriteLine($"kmb simulate: error: {p}");
        return CommandRunner.BadInput;
    }
}
