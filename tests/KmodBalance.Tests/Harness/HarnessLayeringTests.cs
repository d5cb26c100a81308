using System.Text.RegularExpressions;
using FluentAssertions;

namespace KmodBalance.Tests.Harness;

/// <summary>
/// The folders of harness/ as a graph: a folder imports another when one of its files names that
/// folder's namespace (a using directive or a qualified name). The lab's infrastructure (VMs, SSH,
/// netns, processes, images and lab tools, measurement parsers, the lab step error) must import no
/// verb, and no two folders may import each other, directly or around a loop. Read from the
/// checkout's sources, so a new import shows up here before it tangles the build.
/// </summary>
public sealed partial class HarnessLayeringTests
{
    private static readonly string HarnessDir = Path.GetFullPath(
        Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", "..", "harness", "KmodBalance.Harness"));

    /// <summary>What every verb stands on; none of it may know a verb.</summary>
    private static readonly string[] Infrastructure = ["Infrastructure", "Processes", "Vm", "Ssh", "Network", "Images", "Measurement"];

    [GeneratedRegex(@"\bKmodBalance\.Harness\.([A-Z][A-Za-z]*)\b")]
    private static partial Regex HarnessNamespace();

    /// <summary>Folder -> the other harness folders its files name.</summary>
    public static Dictionary<string, SortedSet<string>> Imports(string harnessDir)
    {
        var folders = Directory.GetDirectories(harnessDir).Select(Path.GetFileName).OfType<string>()
            .Where(d => d is not ("bin" or "obj")).ToHashSet();
        var graph = folders.ToDictionary(f => f, _ => new SortedSet<string>());
        foreach (var folder in folders)
            foreach (var file in Directory.EnumerateFiles(Path.Combine(harnessDir, folder), "*.cs", SearchOption.AllDirectories))
                foreach (Match m in HarnessNamespace().Matches(File.ReadAllText(file)))
                    if (m.Groups[1].Value != folder && folders.Contains(m.Groups[1].Value))
                        graph[folder].Add(m.Groups[1].Value);
        return graph;
    }

    /// <summary>One loop of imports, as "A -> B -> A", or null.</summary>
    public static string? FindCycle(IReadOnlyDictionary<string, SortedSet<string>> graph)
    {
        var done = new HashSet<string>();
        var path = new List<string>();
        string? Visit(string node)
        {
            if (path.Contains(node)) return string.Join(" -> ", path.SkipWhile(p => p != node).Append(node));
            if (!done.Add(node)) return null;
            path.Add(node);
            var found = graph[node].Select(Visit).FirstOrDefault(c => c is not null);
            path.RemoveAt(path.Count - 1);
            return found;
        }
        return graph.Keys.Order().Select(Visit).FirstOrDefault(c => c is not null);
    }

    [Fact]
    public void No_folder_of_the_harness_imports_itself_around_a_loop()
    {
        var graph = Imports(HarnessDir);
        graph.Should().ContainKeys(Infrastructure);
        FindCycle(graph).Should().BeNull(string.Join("; ", graph.Select(g => $"{g.Key} -> {string.Join(' ', g.Value)}")));
    }

    [Fact]
    public void The_lab_infrastructure_imports_nothing_but_itself()
    {
        var graph = Imports(HarnessDir);
        foreach (var folder in Infrastructure)
            graph[folder].Except(Infrastructure).Should().BeEmpty($"{folder} is infrastructure, which never imports a verb");
    }

    [Fact]
    public void A_loop_and_its_path_are_found()
    {
        var graph = new Dictionary<string, SortedSet<string>>
        {
            ["Check"] = ["Lab"], ["Lab"] = ["Images"], ["Images"] = ["Check"], ["Vm"] = [],
        };
        FindCycle(graph).Should().Be("Check -> Lab -> Images -> Check");
        graph["Images"].Clear();
        FindCycle(graph).Should().BeNull();
    }
}
