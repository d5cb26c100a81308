using System.Globalization;

namespace KmodBalance.Harness.Check;

/// <summary>One step of vm-images/l1/stress.sh: its exit code and every line it printed.</summary>
public sealed record StressStep(string Name, int ExitCode, IReadOnlyList<string> Lines)
{
    /// <summary>The last "key=value" of <paramref name="key"/> in the step's lines (tapstress and the script print them).</summary>
    public string? Value(string key)
    {
        string? found = null;
        foreach (var line in Lines)
            foreach (var word in line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
                if (word.StartsWith(key + "=", StringComparison.Ordinal))
                    found = word[(key.Length + 1)..];
        return found;
    }

    public long? Number(string key) =>
        long.TryParse(Value(key), NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : null;
}

/// <summary>The stress script's output, split into its steps.</summary>
public sealed record StressOutput(bool Balancer, bool Dynamic, IReadOnlyList<StressStep> Steps, bool Ended)
{
    public StressStep? Step(string name) => Steps.FirstOrDefault(s => s.Name == name);

    /// <summary>Pure: "### step NAME" opens a step, "KMB-STEP name=NAME rc=N" closes it, "### end" ends the run.</summary>
    /// <exception cref="FormatException">No "### params" line: not the stress script's output.</exception>
    public static StressOutput Parse(string text)
    {
        bool? balancer = null, dynamic = null;
        var steps = new List<StressStep>();
        var lines = new List<string>();
        var ended = false;
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            if (line.StartsWith("### params ", StringComparison.Ordinal))
            {
                balancer = line.Contains("balancer=1", StringComparison.Ordinal);
                dynamic = line.Contains("dynamic=1", StringComparison.Ordinal);
            }
            else if (line.StartsWith("### step ", StringComparison.Ordinal))
                lines = [];
            else if (line == "### end")
                ended = true;
            else if (line.StartsWith("KMB-STEP ", StringComparison.Ordinal))
            {
                var words = line.Split(' ', StringSplitOptions.RemoveEmptyEntries)
                    .Select(w => w.Split('=', 2)).Where(kv => kv.Length == 2).ToDictionary(kv => kv[0], kv => kv[1]);
                if (!words.TryGetValue("name", out var name) || !words.TryGetValue("rc", out var rcText) ||
                    !int.TryParse(rcText, NumberStyles.Integer, CultureInfo.InvariantCulture, out var rc))
                    throw new FormatException($"malformed step line: {line}");
                steps.Add(new StressStep(name, rc, lines));
                lines = [];
            }
            else
                lines.Add(line);
        }
        if (balancer is null)
            throw new FormatException("no \"### params\" line: not the output of stress.sh");
        return new StressOutput(balancer.Value, dynamic!.Value, steps, ended);
    }
}
