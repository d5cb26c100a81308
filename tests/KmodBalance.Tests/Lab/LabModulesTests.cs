using FluentAssertions;
using KmodBalance.Generator;
using KmodBalance.Generator.Build;
using KmodBalance.Generator.Source;
using KmodBalance.Harness.Lab;
using Xunit;

namespace KmodBalance.Tests.Lab;

/// <summary>How a lab command gets its modules: cached by everything that changes them, from a tun.c read once.</summary>
public class LabModulesTests
{
    private static readonly InstalledKernel Installed = new("6.1.0-57-cloud-amd64", "/boot/vmlinuz-x", "/lib/modules/x");

    [Fact]
    public void Other_tunables_build_another_module()
    {
        LabModules.CacheName(Policy.Dynamic, Installed, new Tunables(32, 200))
            .Should().NotBe(LabModules.CacheName(Policy.Dynamic, Installed, new Tunables()))
            .And.NotBe(LabModules.CacheName(Policy.Dynamic, Installed, new Tunables(32, 100)));
        LabModules.CacheName(Policy.Adaptive, Installed, new Tunables(32, 100)).Should().Be("adaptive-threshold32-period100ms");
    }

    [Theory]
    [InlineData("stock")]
    [InlineData("hash")]
    public void A_policy_without_tunables_keeps_one_module_whatever_they_are(string policy) =>
        LabModules.CacheName(PolicyNames.Parse(policy), Installed, new Tunables(32, 100)).Should().Be(policy);

    [Fact]
    public void A_fetched_kernel_builds_apart_from_the_installed_one()
    {
        var fetched = Installed with { Release = "6.12.9-cloud-amd64", SourceTree = "/state/kernels/6.12/src" };

        LabModules.CacheName(Policy.Dynamic, fetched, new Tunables()).Should().Be("dynamic-6.12.9-cloud-amd64-threshold64-period200ms");
    }

    [Fact]
    public async Task The_kernel_source_is_read_once_for_every_policy_of_a_command()
    {
        var reads = 0;
        var sources = new TunSourceCache((path, _) =>
        {
            Interlocked.Increment(ref reads);
            return Task.FromResult(new TunSource("int tun;", path, null, path));
        });

        var first = await sources.ReadAsync("/usr/src/linux-source-6.1.tar.xz", CancellationToken.None);
        foreach (var _ in new[] { "hash", "dynamic", "adaptive" })
            (await sources.ReadAsync("/usr/src/linux-source-6.1.tar.xz", CancellationToken.None)).Should().BeSameAs(first);
        await sources.ReadAsync("/state/kernels/6.12/src", CancellationToken.None);

        reads.Should().Be(2, "one read per kernel source, not per policy");
    }

    [Fact]
    public async Task A_failed_read_is_not_kept()
    {
        var reads = 0;
        var sources = new TunSourceCache((path, _) => ++reads == 1
            ? Task.FromException<TunSource>(new KmbException("xz: truncated"))
            : Task.FromResult(new TunSource("int tun;", path, null, path)));

        await ((Func<Task>)(() => sources.ReadAsync("/t.tar.xz", CancellationToken.None))).Should().ThrowAsync<KmbException>();
        (await sources.ReadAsync("/t.tar.xz", CancellationToken.None)).Text.Should().Be("int tun;");
    }
}
