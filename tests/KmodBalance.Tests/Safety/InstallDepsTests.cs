using System.Runtime.Versioning;
using CliWrap;
using CliWrap.Buffered;
using FluentAssertions;
using KmodBalance.Tests.Support;

namespace KmodBalance.Tests.Safety;

/// <summary>setup/install-deps.sh with dpkg-query, apt-get and apt-cache stubbed: which packages are
/// "installed" is the test's choice, and nothing is ever installed.</summary>
[SupportedOSPlatform("linux")]
public sealed class InstallDepsTests : IDisposable
{
    private const int Nobody = 65534;
    private readonly TempDir _temp = new();

    public InstallDepsTests()
    {
        // nobody must be able to run the stubs
        File.SetUnixFileMode(_temp.Path, (UnixFileMode)0b111_101_101);
        Stub("apt-get", "echo \"apt-get $*\" >> \"$(dirname \"$0\")/apt.log\"");
        Stub("apt-cache", "echo \"apt-cache $*\" >> \"$(dirname \"$0\")/apt.log\"; echo '  Candidate: 2.7.0'");
        File.WriteAllText(_temp.Combine("debian12"), "ID=debian\nVERSION_ID=\"12\"\nVERSION_CODENAME=bookworm\nPRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n");
        File.WriteAllText(_temp.Combine("ubuntu"), "ID=ubuntu\nVERSION_ID=\"24.04\"\nPRETTY_NAME=\"Ubuntu 24.04 LTS\"\n");
    }

    public void Dispose() => _temp.Dispose();

    private static string Script =>
        Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", "..", "setup", "install-deps.sh");

    private void Stub(string name, string body)
    {
        File.WriteAllText(_temp.Combine(name), $"#!/bin/sh\n{body}\n");
        File.SetUnixFileMode(_temp.Combine(name), (UnixFileMode)0b111_101_101);
    }

    /// <param name="missing">The one package dpkg-query reports as not installed, or null for none.</param>
    private Task<BufferedCommandResult> RunAsync(string? missing, string osRelease, bool asNobody)
    {
        Stub("dpkg-query", $"shift 2; for p in \"$@\"; do [ \"$p\" = '{missing}' ] || echo \"$p install ok installed\"; done");
        string[] command = asNobody
            ? ["setpriv", $"--reuid={Nobody}", $"--regid={Nobody}", "--clear-groups", "sh", Script]
            : ["sh", Script];
        return CliWrap.Cli.Wrap(command[0]).WithArguments(command[1..])
            .WithEnvironmentVariables(e => e
                .Set("PATH", $"{_temp.Path}:{Environment.GetEnvironmentVariable("PATH")}")
                .Set("KMB_OS_RELEASE", _temp.Combine(osRelease)))
            .WithValidation(CommandResultValidation.None)
            .ExecuteBufferedAsync();
    }

    [Fact]
    public async Task With_everything_installed_a_non_root_user_passes_silently()
    {
        var run = await RunAsync(missing: null, "debian12", asNobody: true);

        run.ExitCode.Should().Be(0, run.StandardError);
        (run.StandardOutput + run.StandardError).Should().BeEmpty();
    }

    [Fact]
    public async Task A_non_root_user_gets_the_list_of_missing_packages_and_exit_2()
    {
        var run = await RunAsync(missing: "netperf", "debian12", asNobody: true);

        run.ExitCode.Should().Be(2);
        run.StandardError.Should().Contain("missing packages: netperf").And.Contain("root");
        File.Exists(_temp.Combine("apt.log")).Should().BeFalse();
    }

    [Fact]
    public async Task Another_system_gets_the_list_and_exit_2_and_apt_is_never_run()
    {
        var run = await RunAsync(missing: "netperf", "ubuntu", asNobody: false);

        run.ExitCode.Should().Be(2);
        run.StandardError.Should().Contain("missing packages: netperf").And.Contain("Ubuntu 24.04 LTS, not Debian 12");
        File.Exists(_temp.Combine("apt.log")).Should().BeFalse();
    }
}
