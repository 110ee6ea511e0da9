using Gregor.Broker.Replication;
using Gregor.Storage;

namespace Gregor.Broker.DataPlane.Tests;

/// <summary>The broker epoch a clean stop leaves in each log dir's marker, and what counts as no clean stop (-1).</summary>
public sealed class CleanShutdownFileTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "gregor-clean-" + Guid.NewGuid().ToString("N"));

    public CleanShutdownFileTests()
    {
        Directory.CreateDirectory(Path.Combine(_root, "a"));
        Directory.CreateDirectory(Path.Combine(_root, "b"));
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private string[] Dirs => [Path.Combine(_root, "a"), Path.Combine(_root, "b")];

    private void Write(string dir, byte[] content) => File.WriteAllBytes(Path.Combine(_root, dir, LogFileNames.CleanShutdownMarker), content);

    [Fact]
    public void Every_log_dir_must_hold_the_same_epoch()
    {
        Assert.Equal(-1, CleanShutdownFile.ReadBrokerEpoch(Dirs));
        Write("a", CleanShutdownFile.Content(17));
        Assert.Equal(-1, CleanShutdownFile.ReadBrokerEpoch(Dirs)); // b has no marker: it crashed
        Write("b", CleanShutdownFile.Content(18));
        Assert.Equal(-1, CleanShutdownFile.ReadBrokerEpoch(Dirs));
        Write("b", CleanShutdownFile.Content(17));
        Assert.Equal(17, CleanShutdownFile.ReadBrokerEpoch(Dirs));
        Assert.Equal("{\"version\":0,\"brokerEpoch\":17}", File.ReadAllText(Path.Combine(_root, "a", LogFileNames.CleanShutdownMarker)));
    }

    [Theory]
    [InlineData("")]
    [InlineData("not json")]
    [InlineData("[1]")]
    [InlineData("{\"version\":0}")]
    [InlineData("{\"version\":0,\"brokerEpoch\":\"x\"}")]
    public void A_marker_without_a_readable_epoch_is_no_clean_stop(string content)
    {
        Write("a", System.Text.Encoding.UTF8.GetBytes(content));
        Write("b", CleanShutdownFile.Content(5));
        Assert.Equal(-1, CleanShutdownFile.ReadBrokerEpoch(Dirs));
    }
}
