using FluentAssertions;
using KmodBalance.Harness.Compare;
using KmodBalance.Harness.Lab;
using KmodBalance.Tests.Support;
using Xunit;

namespace KmodBalance.Tests.Steering;

/// <summary>`--backend module|ebpf` of the lab verbs: what each back end can run, and the combinations
/// refused (exit 2, one line naming the problem and the fix) before anything is built or booted.</summary>
public sealed class LabBackendTests
{
    [Theory]
    [InlineData("module", LabBackend.Module)]
    [InlineData("ebpf", LabBackend.Ebpf)]
    public void Names_round_trip(string name, LabBackend backend)
    {
        LabBackends.Parse(name).Should().Be(backend);
        backend.Name().Should().Be(name);
    }

    [Fact]
    public void The_module_takes_every_policy_and_a_module_dir() =>
        LabBackends.Validate(LabBackend.Module, [Policy.Stock, Policy.Hash, Policy.Dynamic, Policy.Adaptive], "/some/dir").Should().BeEmpty();

    [Fact]
    public void Ebpf_runs_stock_and_dynamic() =>
        LabBackends.Validate(LabBackend.Ebpf, [Policy.Stock, Policy.Dynamic], null).Should().BeEmpty();

    [Theory]
    [InlineData("hash")]
    [InlineData("adaptive")]
    public void Ebpf_refuses_a_module_only_policy_naming_the_fix(string policy) =>
        LabBackends.Validate(LabBackend.Ebpf, [Policy.Dynamic, PolicyNames.Parse(policy)], null).Should().ContainSingle()
            .Which.Should().Contain($"--policy {policy} cannot run with --backend ebpf").And.Contain("--backend module");

    [Fact]
    public void Ebpf_refuses_a_module_dir_naming_the_fix() =>
        LabBackends.Validate(LabBackend.Ebpf, [Policy.Dynamic], "out/dyn").Should().ContainSingle()
            .Which.Should().Contain("--module cannot be combined with --backend ebpf").And.Contain("drop --module");

    [Fact]
    public void Lab_run_options_carry_the_backend_rules()
    {
        new LabOptions { Backend = LabBackend.Ebpf, Policy = Policy.Dynamic }.Validate().Should().BeEmpty();
        new LabOptions { Backend = LabBackend.Ebpf, Policy = Policy.Stock }.Validate().Should().BeEmpty();
        new LabOptions { Backend = LabBackend.Ebpf, Policy = Policy.Hash }.Validate().Should().ContainSingle().Which.Should().Contain("--policy hash");
        new LabOptions { Backend = LabBackend.Ebpf, Topology = Topology.Host }.Validate().Should().Contain(e => e.Contains("--topology host"));
    }

    [Fact]
    public void Compare_options_name_every_module_only_policy_once()
    {
        new LabCompareOptions { Backend = LabBackend.Ebpf, Policies = [Policy.Stock, Policy.Dynamic] }.Validate().Should().BeEmpty();
        var errors = new LabCompareOptions { Backend = LabBackend.Ebpf, Policies = [Policy.Stock, Policy.Hash, Policy.Dynamic, Policy.Adaptive] }.Validate();
        errors.Should().HaveCount(2);
        errors.Should().OnlyContain(e => e.StartsWith("--policies ", StringComparison.Ordinal) && e.Contains("--backend module"));
        // the module default is unchanged
        new LabCompareOptions { Policies = [Policy.Stock, Policy.Hash, Policy.Dynamic, Policy.Adaptive] }.Validate().Should().BeEmpty();
    }

    [Fact]
    public async Task Lab_run_refuses_before_any_vm_work()
    {
        var o = await new LabRun(new LabOptions { Backend = LabBackend.Ebpf, Policy = Policy.Adaptive }, new Progress<string>()).RunAsync(default);
        o.ExitCode.Should().Be(2);
        o.Error.Should().StartWith("[options]").And.Contain("--policy adaptive cannot run with --backend ebpf");
    }

    [Theory]
    [InlineData(new[] { "lab", "compare", "--backend", "ebpf", "--policies", "stock,hash" }, "--policies hash cannot run with --backend ebpf")]
    [InlineData(new[] { "lab", "run", "--backend", "ebpf", "--policy", "adaptive" }, "--policy adaptive cannot run with --backend ebpf")]
    [InlineData(new[] { "lab", "run", "--backend", "ebpf", "--module", "out/dyn" }, "--module cannot be combined with --backend ebpf")]
    [InlineData(new[] { "lab", "check", "--backend", "ebpf", "--policy", "hash" }, "--policy hash cannot run with --backend ebpf")]
    [InlineData(new[] { "lab", "check", "--backend", "ebpf", "--policy", "dynamic", "--module", "out/dyn" }, "--module cannot be combined with --backend ebpf")]
    public async Task The_cli_exits_2_with_one_line_before_building_or_booting(string[] args, string problem)
    {
        using var dir = new TempDir();
        var run = await Processes.KmbAsync([.. args, "--state-dir", dir.Combine("state"), "--report", dir.Combine("report")]);
        run.ExitCode.Should().Be(2, run.StandardError);
        run.StandardError.Trim().Split('\n').Should().ContainSingle().Which.Should().Contain(problem);
        Directory.Exists(dir.Combine("state")).Should().BeFalse("nothing is built for a refused command");
        Directory.Exists(dir.Combine("report")).Should().BeFalse("nothing is written for a refused command");
    }
}
