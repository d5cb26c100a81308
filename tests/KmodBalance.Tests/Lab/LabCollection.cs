namespace KmodBalance.Tests.Lab;

/// <summary>Tests that boot the lab share the state dir, the run's netns name (it holds the test
/// process's pid) and the runner's two cores: they run one at a time, after the parallel tests.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class LabCollection
{
    public const string Name = "Lab";
}
