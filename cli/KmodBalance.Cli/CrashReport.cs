namespace KmodBalance.Cli;

/// <summary>Where the full trace of an unexpected exception goes, so that none reaches the terminal.</summary>
internal static class CrashReport
{
    /// <returns>The file written, or a note saying why none could be.</returns>
    public static string Write(Exception e)
    {
        // An unpredictable name created exclusively (O_EXCL, mode 0600) in the shared temp directory:
        // nobody can plant a file or symlink there for kmb to write through.
        var path = Path.Combine(Path.GetTempPath(), $"kmb-crash-{DateTime.UtcNow:yyyyMMdd-HHmmss}-{Guid.NewGuid():N}.txt");
        try
        {
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows())
                options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            using var file = new FileStream(path, options);
            using var writer = new StreamWriter(file);
            writer.WriteLine($"kmb {string.Join(' ', Environment.GetCommandLineArgs().Skip(1))}");
            writer.WriteLine(e.ToString());
            return path;
        }
        catch (Exception inner) when (inner is IOException or UnauthorizedAccessException)
        {
            return $"(none: {path} could not be written: {inner.Message})";
        }
    }
}
