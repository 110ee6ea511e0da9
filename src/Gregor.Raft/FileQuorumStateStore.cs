using System.Globalization;
using System.Text;
using System.Text.Json;
using Gregor.Storage;

namespace Gregor.Raft;

/// <summary>
/// The <c>quorum-state</c> file in the metadata log's directory, a small JSON object in the spirit of Kafka's
/// (<c>leaderEpoch</c>, <c>votedId</c>, <c>leaderId</c>, <c>data_version</c>). A write goes to a temporary file
/// that is fsynced and renamed over the old one, and the directory is fsynced, so after a crash the file holds
/// either the old state or the new one, never a mix — and a vote never leaves the node before it is durable.
/// </summary>
public sealed class FileQuorumStateStore(string directory) : IQuorumStateStore
{
    public const string FileName = "quorum-state";
    private const int MaxFileBytes = 64 * 1024;
    private const int DataVersion = 0;

    public string Path { get; } = System.IO.Path.Combine(directory, FileName);

    public QuorumStateData? Read()
    {
        var file = new FileInfo(Path);
        if (!file.Exists) return null;
        if (file.Length > MaxFileBytes)
            throw new InvalidDataException($"{Path}: {file.Length} bytes, more than a quorum-state file can hold ({MaxFileBytes})");
        try
        {
            using var json = JsonDocument.Parse(File.ReadAllBytes(Path));
            var root = json.RootElement;
            int version = root.GetProperty("data_version").GetInt32();
            if (version != DataVersion) throw new InvalidDataException($"{Path}: data_version {version} is not one this build reads ({DataVersion})");
            return new QuorumStateData(
                root.GetProperty("leaderEpoch").GetInt32(),
                root.GetProperty("votedId").GetInt32(),
                root.GetProperty("leaderId").GetInt32());
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or FormatException or InvalidOperationException)
        {
            throw new InvalidDataException($"{Path}: not a quorum-state file: {e.Message}", e);
        }
    }

    public void Write(QuorumStateData state)
    {
        ArgumentNullException.ThrowIfNull(state);
        string text = string.Create(CultureInfo.InvariantCulture,
            $"{{\"leaderEpoch\":{state.Epoch},\"votedId\":{state.VotedId},\"leaderId\":{state.LeaderId},\"data_version\":{DataVersion}}}\n");
        string temporary = Path + ".tmp";
        using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            stream.Write(Encoding.UTF8.GetBytes(text));
            stream.Flush(flushToDisk: true);
        }
        File.Move(temporary, Path, overwrite: true);
        DirectorySync.Flush(directory);
    }
}
