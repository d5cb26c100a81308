using System.Globalization;

namespace KmodBalance.Harness.Images;

/// <summary>A parsed image recipe (vm-images/*/image.recipe): what goes into an initramfs.</summary>
public sealed record ImageRecipe(string Name, IReadOnlyList<RecipeDirective> Directives, string Text)
{
    /// <summary>Loads a recipe and its includes. <see cref="Text"/> is the concatenated text of
    /// every file read (recipe files and `file` sources), for the cache key.</summary>
    public static ImageRecipe Load(string path)
    {
        var directives = new List<RecipeDirective>();
        var text = new System.Text.StringBuilder();
        string? name = null;
        LoadInto(Path.GetFullPath(path), directives, text, ref name, depth: 0);
        return new ImageRecipe(name ?? Path.GetFileName(Path.GetDirectoryName(Path.GetFullPath(path)))!, directives, text.ToString());
    }

    private static void LoadInto(string path, List<RecipeDirective> output, System.Text.StringBuilder text, ref string? name, int depth)
    {
        if (depth > 8) throw new InvalidDataException($"{path}: includes nested too deeply");
        if (!File.Exists(path)) throw new FileNotFoundException($"image recipe not found: {path}", path);
        var content = File.ReadAllText(path);
        text.Append("== ").Append(path).Append('\n').Append(content).Append('\n');
        var dir = Path.GetDirectoryName(path)!;
        foreach (var d in Parse(content, dir, path))
        {
            switch (d)
            {
                case RecipeDirective.Include inc: LoadInto(inc.Path, output, text, ref name, depth + 1); break;
                case RecipeDirective.Name n: name = n.Value; break;
                case RecipeDirective.File f:
                    if (!File.Exists(f.SourcePath)) throw new InvalidDataException($"{path}: file not found: {f.SourcePath}");
                    text.Append("== ").Append(f.SourcePath).Append('\n').Append(File.ReadAllText(f.SourcePath)).Append('\n');
                    output.Add(d);
                    break;
                default: output.Add(d); break;
            }
        }
    }

    /// <summary>Pure: parses recipe text. Relative `include`/`file` paths resolve against <paramref name="baseDir"/>.</summary>
    public static IReadOnlyList<RecipeDirective> Parse(string content, string baseDir, string sourceName = "recipe")
    {
        var result = new List<RecipeDirective>();
        var lineNo = 0;
        foreach (var raw in content.Split('\n'))
        {
            lineNo++;
            var hash = raw.IndexOf('#');
            var line = (hash >= 0 ? raw[..hash] : raw).Trim();
            if (line.Length == 0) continue;
            var w = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            string Where() => $"{sourceName}:{lineNo}";
            void Need(int min, int max)
            {
                if (w.Length - 1 < min || w.Length - 1 > max)
                    throw new InvalidDataException($"{Where()}: `{w[0]}` takes {min}..{max} arguments: {line}");
            }
            int Mode(string s) => int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out _) && s.All(c => c is >= '0' and <= '7')
                ? Convert.ToInt32(s, 8) : throw new InvalidDataException($"{Where()}: bad octal mode {s}");
            string Abs(string p) => Path.GetFullPath(Path.Combine(baseDir, p));
            switch (w[0])
            {
                case "name": Need(1, 1); result.Add(new RecipeDirective.Name(w[1])); break;
                case "include": Need(1, 1); result.Add(new RecipeDirective.Include(Abs(w[1]))); break;
                case "busybox": Need(1, 1); result.Add(new RecipeDirective.Busybox(w[1])); break;
                case "bin": Need(1, 64); result.AddRange(w.Skip(1).Select(b => new RecipeDirective.Bin(b))); break;
                case "hostfile": Need(1, 3); result.Add(new RecipeDirective.HostFile(w[1], w.Length > 2 ? w[2] : w[1], w.Length > 3 ? Mode(w[3]) : null)); break;
                case "symlink": Need(2, 2); result.Add(new RecipeDirective.Symlink(w[1], w[2])); break;
                case "dir": Need(2, 2); result.Add(new RecipeDirective.Dir(w[1], Mode(w[2]))); break;
                case "module": Need(1, 64); result.AddRange(w.Skip(1).Select(m => new RecipeDirective.Module(m))); break;
                case "file": Need(3, 3); result.Add(new RecipeDirective.File(Abs(w[1]), w[2], Mode(w[3]))); break;
                case "kernel": Need(1, 1); result.Add(new RecipeDirective.Kernel(w[1])); break;
                case "input": Need(3, 3); result.Add(new RecipeDirective.Input(w[1], w[2], Mode(w[3]))); break;
                case "input-optional": Need(3, 3); result.Add(new RecipeDirective.Input(w[1], w[2], Mode(w[3]), Optional: true)); break;
                case "secret": Need(3, 3); result.Add(new RecipeDirective.Secret(w[1], w[2], Mode(w[3]))); break;
                default: throw new InvalidDataException($"{Where()}: unknown directive `{w[0]}`");
            }
        }
        return result;
    }
}

public abstract record RecipeDirective
{
    public sealed record Name(string Value) : RecipeDirective;
    public sealed record Include(string Path) : RecipeDirective;
    public sealed record Busybox(string HostPath) : RecipeDirective;
    public sealed record Bin(string HostPath) : RecipeDirective;
    public sealed record HostFile(string HostPath, string Dest, int? Mode) : RecipeDirective;
    public sealed record Symlink(string Path, string Target) : RecipeDirective;
    public sealed record Dir(string Path, int Mode) : RecipeDirective;
    public sealed record Module(string ModuleName) : RecipeDirective;
    public sealed record File(string SourcePath, string Dest, int Mode) : RecipeDirective;
    public sealed record Kernel(string Dest) : RecipeDirective;
    /// <param name="Optional">`input-optional`: left out of the image when the builder is not given it
    /// (kmbsteer, which only the eBPF back end's L1 images carry).</param>
    public sealed record Input(string InputName, string Dest, int Mode, bool Optional = false) : RecipeDirective;
    public sealed record Secret(string SecretName, string Dest, int Mode) : RecipeDirective;
}
