namespace Gregor.Storage.Tests;

/// <summary>A fresh <c>&lt;topic&gt;-&lt;partition&gt;</c> directory under the temp folder, removed afterwards.</summary>
internal sealed class TempLogDirectory : IDisposable
{
    public TempLogDirectory(string topic = "orders", int partition = 0)
    {
        Root = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "gregor-storage-tests", Guid.NewGuid().ToString("N"));
        Path = System.IO.Path.Combine(Root, LogFileNames.PartitionDirectoryName(topic, partition));
        Directory.CreateDirectory(Path);
    }

    public string Root { get; }

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public string[] FileNames() => [.. Directory.GetFiles(Path).Select(System.IO.Path.GetFileName).Order(StringComparer.Ordinal)!];

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
