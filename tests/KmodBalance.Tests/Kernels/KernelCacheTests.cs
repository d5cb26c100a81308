using FluentAssertions;
using KmodBalance.Generator.Kernels;
using KmodBalance.Tests.Support;

namespace KmodBalance.Tests.Kernels;

/// <summary>When a fetch is a no-op, and what `kmb kernel list` reads.</summary>
public class KernelCacheTests
{
    internal static KernelRecord Record(string dir = "/s/kernels/5.10", bool compilerFetched = true, int format = KernelRecord.CurrentFormat) =>
        new(format, "5.10", "bullseye", "5.10.0-46-cloud-amd64",
            [
                new("linux-image-5.10.0-46-cloud-amd64", "5.10.262-1", 21521796),
                new("linux-headers-5.10.0-46-cloud-amd64", "5.10.262-1", 1176216),
                new("linux-headers-5.10.0-46-common", "5.10.262-1", 9444432),
                new("linux-kbuild-5.10", "5.10.262-1", 1151028),
                new("linux-source-5.10", "5.10.262-1", 121947504),
            ],
            "gcc-10", compilerFetched ? $"{dir}/toolchain/usr/bin/gcc-10" : "/usr/bin/gcc-10", compilerFetched,
            "gcc-10 (Debian 10.2.1-6) 10.2.1 20210110", "gcc-10 (Debian 10.2.1-6) 10.2.1 20210110",
            $"{dir}/root/boot/vmlinuz-5.10.0-46-cloud-amd64", $"{dir}/root/lib/modules/5.10.0-46-cloud-amd64",
            $"{dir}/root/usr/src/linux-headers-5.10.0-46-cloud-amd64", $"{dir}/root/usr/src/linux-source-5.10.tar.xz",
            $"{dir}/src", 426_500_000, 31.7, DateTimeOffset.Parse("2026-11-30T18:50:00Z"));

    [Fact]
    public void No_record_means_fetch()
    {
        KernelStore.Decide(null, _ => true).Should().Be(new CacheDecision(true, "not fetched"));
    }

    [Fact]
    public void A_record_with_every_path_in_place_is_a_no_op()
    {
        var d = KernelStore.Decide(Record(), _ => true);

        d.Fetch.Should().BeFalse();
        d.Reason.Should().Contain("5.10.0-46-cloud-amd64").And.Contain("5.10.262-1");
    }

    [Theory]
    [InlineData("/s/kernels/5.10/root/boot/vmlinuz-5.10.0-46-cloud-amd64")]
    [InlineData("/s/kernels/5.10/root/usr/src/linux-headers-5.10.0-46-cloud-amd64/Makefile")]
    [InlineData("/s/kernels/5.10/src/drivers/net/tun.c")]
    [InlineData("/s/kernels/5.10/src/scripts/checkpatch.pl")]
    [InlineData("/s/kernels/5.10/toolchain/usr/bin/gcc-10")]
    [InlineData("/s/kernels/5.10/root/usr/src/linux-source-5.10.tar.xz")]
    public void A_missing_path_means_fetch_again_naming_it(string missing)
    {
        var d = KernelStore.Decide(Record(), p => p != missing);

        d.Fetch.Should().BeTrue();
        d.Reason.Should().Be($"incomplete: {missing} is missing");
    }

    [Fact]
    public void A_host_compiler_is_not_a_path_the_cache_owns()
    {
        KernelStore.Decide(Record(compilerFetched: false), p => !p.StartsWith("/usr/bin/")).Fetch.Should().BeFalse();
    }

    [Fact]
    public void A_record_of_another_format_is_fetched_again()
    {
        KernelStore.Decide(Record(format: 0), _ => true).Reason.Should().Contain("format 0");
    }

    [Fact]
    public void Refresh_is_a_no_op_while_the_archive_has_the_recorded_versions()
    {
        AptPackage P(string name, string version) => new(name, version, 1, name + ".deb");
        KernelPackageSet Set(string v) => new("5.10.0-46-cloud-amd64",
            P("linux-image-5.10.0-46-cloud-amd64", v), P("linux-headers-5.10.0-46-cloud-amd64", v),
            P("linux-headers-5.10.0-46-common", v), P("linux-kbuild-5.10", v), P("linux-source-5.10", v), "gcc-10");

        KernelStore.IsCurrent(Record(), Set("5.10.262-1")).Should().BeTrue();
        KernelStore.IsCurrent(Record(), Set("5.10.263-1")).Should().BeFalse();
    }

    [Fact]
    public void The_record_round_trips_through_kernel_json_and_a_torn_file_reads_as_none()
    {
        var r = Record();

        var back = KernelRecord.FromJson(r.ToJson())!;

        back.Should().BeEquivalentTo(r);
        back.ImageVersion.Should().Be("5.10.262-1");
        r.ToJson().Should().Contain("\"release\": \"5.10.0-46-cloud-amd64\"");
        KernelRecord.FromJson("{\"format\": 1, \"gen").Should().BeNull();
    }

    [Fact]
    public void The_store_lays_each_generation_out_under_kernels()
    {
        using var state = new TempDir();
        var store = new KernelStore(state.Path);

        store.DirOf(KernelGeneration.Linux6_12).Should().Be(Path.Combine(state.Path, "kernels", "6.12"));
        store.List().Should().HaveCount(3).And.OnlyContain(e => e.Decision.Fetch && e.Record == null);
    }

    [Fact]
    public void A_written_record_whose_files_exist_lists_as_fetched()
    {
        using var state = new TempDir();
        var store = new KernelStore(state.Path);
        var dir = store.DirOf(KernelGeneration.Linux5_10);
        var record = Record(dir);
        foreach (var path in record.RequiredPaths)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, "");
        }
        File.WriteAllText(store.RecordPath(KernelGeneration.Linux5_10), record.ToJson());

        store.Decide(KernelGeneration.Linux5_10).Fetch.Should().BeFalse();
        store.Require(KernelGeneration.Linux5_10).Release.Should().Be("5.10.0-46-cloud-amd64");
        var act = () => store.Require(KernelGeneration.Linux6_12);
        act.Should().Throw<KmodBalance.Generator.KmbException>().WithMessage("*kmb kernel fetch 6.12*");
    }

    [Fact]
    public async Task A_second_fetch_of_a_cached_generation_touches_no_network_and_reports_it_cached()
    {
        using var state = new TempDir();
        var store = new KernelStore(state.Path);
        var record = Record(store.DirOf(KernelGeneration.Linux5_10));
        foreach (var path in record.RequiredPaths)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, "");
        }
        File.WriteAllText(store.RecordPath(KernelGeneration.Linux5_10), record.ToJson());
        var said = new List<string>();

        var (back, fetched) = await store.FetchAsync(KernelGeneration.Linux5_10, refresh: false, said.Add, CancellationToken.None);

        fetched.Should().BeFalse();
        back.Should().BeEquivalentTo(record);
        said.Should().BeEmpty();
        Directory.Exists(Path.Combine(store.DirOf(KernelGeneration.Linux5_10), "apt")).Should().BeFalse("apt was not run");
    }
}
