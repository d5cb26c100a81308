using System.Diagnostics;
using System.Text;
using CliWrap;
using CliWrap.Buffered;

namespace KmodBalance.Generator.Kernels;

/// <summary>
/// apt-get and apt-cache under a private configuration rooted in one directory: its own
/// sources list, state (package lists, an empty dpkg status), cache and preferences. The
/// host's /etc/apt sources, pins, apt.conf.d hooks (post-update scripts) and dpkg database
/// are never read nor written (APT_CONFIG points at a private apt.conf that replaces
/// /etc/apt/apt.conf and apt.conf.d before apt reads them); nothing is installed, packages
/// are only downloaded (`apt-get download`).
/// </summary>
public sealed class PrivateApt(string root, KernelGeneration generation)
{
    /// <summary>Debian's archive keyring on every Debian 12 machine (bullseye, bookworm and trixie keys).</summary>
    public const string Keyring = "/usr/share/keyrings/debian-archive-keyring.gpg";

    public string Root { get; } = Path.GetFullPath(root);
    public KernelGeneration Generation { get; } = generation;
    public string SourcesListPath => Path.Combine(Root, "sources.list");
    public string AptConfPath => Path.Combine(Root, "apt.conf");

    /// <summary>Pure: the APT_CONFIG file, read before the host's configuration, that replaces it by an empty one.</summary>
    public static string AptConfText(string root) =>
        "// KmodBalance private apt configuration: the host's apt.conf and apt.conf.d are not read.\n" +
        $"Dir::Etc::main \"{Path.Combine(root, "apt.conf.none")}\";\n" +
        $"Dir::Etc::parts \"{Path.Combine(root, "apt.conf.d")}\";\n";

    /// <summary>Pure: the one-line-style sources list of <paramref name="generation"/>'s suites.</summary>
    public static string SourcesListText(KernelGeneration generation, string keyring = Keyring)
    {
        var text = new StringBuilder($"# KmodBalance private apt sources for Linux {generation.Name} ({generation.Distribution}); not used by the host's apt\n");
        foreach (var s in generation.Suites)
            text.Append($"deb [arch=amd64 signed-by={keyring}] {s.Uri} {s.Suite} {s.Components}\n");
        return text.ToString();
    }

    /// <summary>Pure: the -o options that confine apt to <paramref name="root"/>.</summary>
    public static IReadOnlyList<string> Options(string root)
    {
        string[] settings =
        [
            $"Dir::Etc::sourcelist={Path.Combine(root, "sources.list")}",
            "Dir::Etc::sourceparts=-",
            $"Dir::Etc::preferences={Path.Combine(root, "preferences")}",
            $"Dir::Etc::preferencesparts={Path.Combine(root, "preferences.d")}",
            $"Dir::State={Path.Combine(root, "state")}",
            $"Dir::State::status={Path.Combine(root, "state", "status")}",
            $"Dir::Cache={Path.Combine(root, "cache")}",
            // One binary cache while a fetch runs (the lookups reuse it; removed after the fetch), lists kept compressed.
            "Dir::Cache::pkgcache=pkgcache.bin",
            "Dir::Cache::srcpkgcache=",
            "Acquire::GzipIndexes=true",
            "APT::Architecture=amd64",
            "APT::Architectures=amd64",
            "Acquire::Languages=none",
            "Acquire::IndexTargets::deb::DEP-11::DefaultEnabled=false",
            "Acquire::IndexTargets::deb::DEP-11-icons::DefaultEnabled=false",
            "Acquire::IndexTargets::deb::DEP-11-icons-small::DefaultEnabled=false",
            // Downloads land in our own directories, which apt's _apt sandbox user cannot write.
            "APT::Sandbox::User=root",
        ];
        return settings.SelectMany(s => new[] { "-o", s }).ToArray();
    }

    /// <summary>Creates the private tree (idempotent) and writes the sources list.</summary>
    public void Prepare()
    {
        foreach (var dir in new[] { "state/lists/partial", "cache/archives/partial", "preferences.d", "apt.conf.d" })
            Directory.CreateDirectory(Path.Combine(Root, dir));
        File.WriteAllText(AptConfPath, AptConfText(Root));
        var status = Path.Combine(Root, "state", "status");
        if (!File.Exists(status)) File.WriteAllText(status, "");
        File.WriteAllText(SourcesListPath, SourcesListText(Generation));
    }

    /// <summary>`apt-get update` into the private state; apt's "Get:" lines go to <paramref name="progress"/>.</summary>
    public async Task UpdateAsync(Action<string> progress, CancellationToken ct)
    {
        Prepare();
        var r = await RunAsync("apt-get", ["update"], null, progress, ct);
        // apt-get update exits 0 on some fetch failures and prints W:/E: lines instead.
        var failed = r.Output.Split('\n').Where(l => l.StartsWith("E:", StringComparison.Ordinal) ||
            l.Contains("Failed to fetch", StringComparison.Ordinal)).ToList();
        if (r.ExitCode != 0 || failed.Count > 0)
            throw new KmbException(
                $"apt-get update of {string.Join(", ", Generation.Suites.Select(s => s.Suite))} (private lists in {Root}) failed: " +
                $"is {KernelGeneration.Archive} reachable?\n{string.Join('\n', failed.DefaultIfEmpty(Tail(r.Output)))}", 1);
    }

    /// <summary>The candidate stanza of <paramref name="package"/>, or null when the lists do not have it.</summary>
    public async Task<AptStanza?> ShowAsync(string package, CancellationToken ct)
    {
        var r = await RunAsync("apt-cache", ["show", "--no-all-versions", package], null, null, ct);
        if (r.ExitCode != 0) return null;
        var stanza = AptStanza.ParseFirst(r.Output);
        return stanza?.Package == package ? stanza : null;
    }

    /// <summary>Removes the binary package cache (tens of MB, rebuilt from the lists when needed).</summary>
    public void DropBinaryCache()
    {
        foreach (var bin in Directory.Exists(Path.Combine(Root, "cache")) ? Directory.GetFiles(Path.Combine(Root, "cache"), "*.bin") : [])
            File.Delete(bin);
    }

    /// <summary>`apt-get download NAME=VERSION` into <paramref name="destDir"/>.</summary>
    public async Task DownloadAsync(AptPackage package, string destDir, Action<string> progress, CancellationToken ct)
    {
        Directory.CreateDirectory(destDir);
        var r = await RunAsync("apt-get", ["download", $"{package.Name}={package.Version}"], destDir, progress, ct);
        if (r.ExitCode != 0 || !File.Exists(Path.Combine(destDir, package.FileName)))
            throw new KmbException($"apt-get download {package.Name}={package.Version} failed (exit {r.ExitCode}):\n{Tail(r.Output)}", 1);
    }

    private async Task<(int ExitCode, string Output)> RunAsync(string tool, IReadOnlyList<string> args, string? workDir,
        Action<string>? progress, CancellationToken ct)
    {
        var output = new StringBuilder();
        void Line(string l)
        {
            lock (output) output.AppendLine(l);
            if (progress is not null && (l.StartsWith("Get:", StringComparison.Ordinal) || l.StartsWith("Fetched", StringComparison.Ordinal)))
                progress("  apt: " + l.Trim());
        }
        var command = Cli.Wrap(tool)
            .WithArguments([.. Options(Root), "-q", .. args])
            .WithEnvironmentVariables(e => e.Set("LC_ALL", "C").Set("DEBIAN_FRONTEND", "noninteractive").Set("APT_CONFIG", AptConfPath))
            .WithStandardOutputPipe(PipeTarget.ToDelegate(Line))
            .WithStandardErrorPipe(PipeTarget.ToDelegate(Line))
            .WithValidation(CommandResultValidation.None);
        if (workDir is not null) command = command.WithWorkingDirectory(workDir);
        try
        {
            var result = await command.ExecuteAsync(ct);
            lock (output) return (result.ExitCode, output.ToString());
        }
        catch (System.ComponentModel.Win32Exception)
        {
            throw new KmbException($"{tool} not found: this needs Debian's apt", 2);
        }
    }

    private static string Tail(string text) =>
        string.Join('\n', text.TrimEnd().Split('\n').TakeLast(8));
}

/// <summary>One deb822 stanza of `apt-cache show` (continuation lines folded into their field).</summary>
public sealed class AptStanza
{
    private readonly Dictionary<string, string> _fields;

    private AptStanza(Dictionary<string, string> fields) => _fields = fields;

    public string? this[string field] => _fields.GetValueOrDefault(field);
    public string Package => this["Package"] ?? "";
    public string Version => this["Version"] ?? "";

    /// <summary>Pure: the first stanza of <paramref name="text"/>, or null when there is none.</summary>
    public static AptStanza? ParseFirst(string text)
    {
        var fields = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        string? last = null;
        foreach (var raw in text.Replace("\r", "").Split('\n'))
        {
            if (raw.Length == 0)
            {
                if (fields.Count > 0) break;
                continue;
            }
            if ((raw[0] == ' ' || raw[0] == '\t') && last is not null)
            {
                fields[last] += "\n" + raw.Trim();
                continue;
            }
            var colon = raw.IndexOf(':');
            if (colon <= 0) continue;
            last = raw[..colon];
            fields[last] = raw[(colon + 1)..].Trim();
        }
        return fields.ContainsKey("Package") ? new AptStanza(fields) : null;
    }

    /// <summary>Pure: Depends as groups of alternative package names (version and arch qualifiers dropped).</summary>
    public IReadOnlyList<IReadOnlyList<string>> Depends() => ParseRelations(this["Depends"]);

    public static IReadOnlyList<IReadOnlyList<string>> ParseRelations(string? field) =>
        string.IsNullOrWhiteSpace(field)
            ? []
            : field.Split(',').Select(group => (IReadOnlyList<string>)group.Split('|')
                    .Select(alt => alt.Trim().Split(' ', '(', '[')[0].Split(':')[0].Trim())
                    .Where(n => n.Length > 0).ToList())
                .Where(g => g.Count > 0).ToList();

    /// <summary>This stanza as a package to download.</summary>
    public AptPackage ToPackage()
    {
        var file = this["Filename"] ?? throw new KmbException($"apt-cache show {Package}: no Filename field", 1);
        return new AptPackage(Package, Version, long.TryParse(this["Size"], out var size) ? size : 0, Path.GetFileName(file));
    }
}

/// <summary>A package version to download: <paramref name="FileName"/> is the .deb's name in the pool.</summary>
public sealed record AptPackage(string Name, string Version, long Size, string FileName);

/// <summary>Wall-clock helper for progress lines.</summary>
internal static class StepTimer
{
    public static async Task<T> TimeAsync<T>(Action<string> progress, string what, Func<Task<T>> step)
    {
        progress(what + " ...");
        var clock = Stopwatch.StartNew();
        var result = await step();
        progress($"{what}: done in {clock.Elapsed.TotalSeconds:F1} s");
        return result;
    }
}
