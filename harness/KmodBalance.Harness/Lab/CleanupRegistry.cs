namespace KmodBalance.Harness.Lab;

/// <summary>Undo actions registered as resources are made, run last-in first-out when the run
/// ends however it ends. Each action is bounded and its failure does not stop the others.</summary>
public sealed class CleanupRegistry : IAsyncDisposable
{
    private readonly Stack<(string What, Func<ValueTask> Undo)> _undo = new();
    private readonly Action<string> _report;
    private int _disposed;

    public CleanupRegistry(Action<string> report) => _report = report;

    public void Add(string what, Func<ValueTask> undo) { lock (_undo) _undo.Push((what, undo)); }

    public T Add<T>(string what, T resource) where T : IAsyncDisposable
    {
        Add(what, resource.DisposeAsync);
        return resource;
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
        while (true)
        {
            (string What, Func<ValueTask> Undo) item;
            lock (_undo) { if (!_undo.TryPop(out item)) break; }
            try
            {
                await item.Undo().AsTask().WaitAsync(TimeSpan.FromSeconds(20));
                _report($"cleanup: {item.What}");
            }
            catch (Exception e)
            {
                _report($"cleanup: FAILED to {item.What}: {e.Message}");
            }
        }
    }
}
