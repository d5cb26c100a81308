using System.Runtime.InteropServices;

namespace KmodBalance.Cli;

/// <summary>Turns Ctrl-C, SIGTERM and SIGHUP into a cancellation every verb honours, instead of the
/// runtime killing the process: cleanup (QEMU, netns, run and temp dirs) then still runs, and the
/// process ends only when the verb has returned. <see cref="CommandRunner"/> makes the one instance
/// and hands its token to every verb.</summary>
internal sealed class SignalCancellation : IDisposable
{
    private readonly CancellationTokenSource _cts;
    private readonly PosixSignalRegistration[] _registrations;

    public SignalCancellation(CancellationToken outer, IProgress<string> progress)
    {
        _cts = CancellationTokenSource.CreateLinkedTokenSource(outer);
        void OnSignal(PosixSignalContext c)
        {
            c.Cancel = true; // keep running until cleanup is done
            progress.Report($"{c.Signal}: stopping and cleaning up");
            _cts.Cancel();
        }
        _registrations =
        [
            PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal),
            PosixSignalRegistration.Create(PosixSignal.SIGHUP, OnSignal),
            PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal),
        ];
    }

    public CancellationToken Token => _cts.Token;

    public void Dispose()
    {
        foreach (var r in _registrations) r.Dispose();
        _cts.Dispose();
    }
}
