using System.Text.Json;

namespace FaultProducer;

/// <summary>
/// The producer's history as JSON lines, the format tests/fault/lib/workload.py reads: {"f":"invoke","v"} before a
/// send, then {"f":"ok","v","p","o"} or {"f":"fail","v","e"} when the client reports the outcome. Delivery reports
/// arrive on the clients' own threads, so writes are serialised; every line is flushed so a killed producer loses
/// at most the line it was writing.
/// </summary>
internal sealed class History : IDisposable
{
    private readonly StreamWriter _out;
    private readonly Lock _gate = new();

    public History(string path) => _out = new StreamWriter(path, append: true) { AutoFlush = true };

    public void Invoke(string value) => Write(new { f = "invoke", v = value });

    public void Ok(string value, int partition, long offset) => Write(new { f = "ok", v = value, p = partition, o = offset });

    public void Fail(string value, string error) => Write(new { f = "fail", v = value, e = error });

    public void End(int unresolved) => Write(new { f = "end", unresolved });

    private void Write<T>(T line)
    {
        string text = JsonSerializer.Serialize(line);
        lock (_gate) _out.WriteLine(text);
    }

    public void Dispose()
    {
        lock (_gate) _out.Dispose();
    }
}
