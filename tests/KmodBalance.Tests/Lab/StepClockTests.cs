using FluentAssertions;
using KmodBalance.Harness.Infrastructure;
using KmodBalance.Harness.Lab;
using KmodBalance.Harness.Reporting;

namespace KmodBalance.Tests.Lab;

/// <summary>A boot that failed in the emulator is booted again and the failed attempt stays visible;
/// nothing else is ever attempted twice.</summary>
public sealed class StepClockTests
{
    private readonly List<string> _lines = [];

    private StepClock NewClock() => new(new Collector(_lines));

    [Fact]
    public async Task A_failed_boot_is_booted_again_and_its_failure_stays_in_the_timings()
    {
        var clock = NewClock();
        var calls = 0;
        var result = await clock.StepWithRetry("boot-l1", 2, () =>
            ++calls == 1 ? throw new BootFailedException("boot-l1", "KASAN: wild-memory-access in early boot") : Task.FromResult("ready"),
            CancellationToken.None);

        result.Should().Be("ready");
        calls.Should().Be(2);
        clock.Timings.Select(t => t.Step).Should().Equal("boot-l1 (attempt 1 failed, retried)", "boot-l1");
        clock.Timings[0].Error.Should().Be("KASAN: wild-memory-access in early boot");
        clock.Timings[1].Retried.Should().BeFalse();
        _lines.Should().Contain(l => l.StartsWith("RETRIED [boot-l1] attempt 1 of 2", StringComparison.Ordinal));
        StepTiming.RetriesMarkdown(clock.Timings).Should().Contain("## Retried boots").And.Contain("wild-memory-access");
    }

    [Fact]
    public async Task A_failure_that_is_not_a_boot_failure_is_never_attempted_again()
    {
        var clock = NewClock();
        var calls = 0;
        var act = () => clock.StepWithRetry<string>("boot-l2", 2, () =>
        {
            calls++;
            throw new LabStepException("boot-l2", "L2 kernel failure before KMB-READY");
        }, CancellationToken.None);

        await act.Should().ThrowAsync<LabStepException>().WithMessage("*L2 kernel failure*");
        calls.Should().Be(1);
        clock.Timings.Should().ContainSingle().Which.Step.Should().Be("boot-l2 (failed)");
        StepTiming.RetriesMarkdown(clock.Timings).Should().BeEmpty();
    }

    [Fact]
    public async Task The_last_attempts_failure_is_the_steps_failure()
    {
        var clock = NewClock();
        var calls = 0;
        var act = () => clock.StepWithRetry<string>("boot-l1", 2, () => throw new BootFailedException("boot-l1", $"panic {++calls}"),
            CancellationToken.None);

        await act.Should().ThrowAsync<BootFailedException>().WithMessage("*panic 2");
        clock.Timings.Select(t => t.Step).Should().Equal("boot-l1 (attempt 1 failed, retried)", "boot-l1 (failed)");
    }

    [Fact]
    public void A_nested_boot_booted_again_is_a_retried_step_with_its_error_and_a_console_line()
    {
        var clock = NewClock();

        clock.RecordRetried("nested boot 1 of 3", 41.234, "[boot-l2] L2 QEMU exited before KMB-READY after 9 s");
        clock.Record("cleanup", 0.1);

        clock.Timings.Should().HaveCount(2);
        clock.Timings[0].Should().Be(new StepTiming("nested boot 1 of 3 (failed, retried)", 41.23, "[boot-l2] L2 QEMU exited before KMB-READY after 9 s"));
        clock.Timings[1].Retried.Should().BeFalse();
        _lines.Should().Contain("RETRIED [nested boot 1 of 3] failed, booting again: [boot-l2] L2 QEMU exited before KMB-READY after 9 s");
        StepTiming.RetriesMarkdown(clock.Timings).Should().Contain("**nested boot 1 of 3 (failed, retried)**: [boot-l2] L2 QEMU exited");
    }

    [Fact]
    public void A_trial_gets_another_boot_after_a_lab_error_and_never_after_a_failed_property()
    {
        NestedTrial.MayBootAgain(new BootFailedException("boot-l2", "L2 QEMU exited")).Should().BeTrue();
        NestedTrial.MayBootAgain(new LabStepException("ssh-l2", "Session operation has timed out")).Should().BeTrue();
        NestedTrial.MayBootAgain(new PropertyFailedException("balance-state", "dynamic does not balance ltap0")).Should().BeFalse();
    }

    private sealed class Collector(List<string> lines) : IProgress<string>
    {
        public void Report(string value) => lines.Add(value);
    }
}
