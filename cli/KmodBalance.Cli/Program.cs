using System.CommandLine;
using KmodBalance.Cli;
using KmodBalance.Cli.Commands;

var root = new RootCommand("KmodBalance: generate, build, simulate and prove tun queue-selection policies.")
{
    GenerateCommand.Create(),
    BuildCommand.Create(),
    KernelCommand.Create(),
    SimulateCommand.Create(),
    BenchCommand.Create(),
    ImageCommand.Create(),
    LabCommand.Create(),
    MatrixCommand.Create(),
    SteerCommand.Create(),
};

return await CommandRunner.RunAsync(root, args);
