using Gregor.Protocol.Primitives;

namespace Gregor.Metadata.Tests;

public sealed class StorageFormatTests : IDisposable
{
    private const string ClusterA = "MkU3OEVBNTcwNTJENDM2Qg";
    private const string ClusterB = "q1Sh-9_ISia_zwGINzRvyQ";
    private readonly string _root = Path.Combine(Path.GetTempPath(), "gregor-format-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { }
    }

    private string Dir(string name) => Path.Combine(_root, name);

    private static MetaPropertiesFile Stored(string dir) => MetaPropertiesFile.Read(Path.Combine(dir, MetaProperties.FileName));

    [Fact]
    public void Format_writes_version_cluster_node_and_a_directory_id_of_its_own_into_every_dir()
    {
        var result = StorageFormatter.Format([Dir("a"), Dir("b")], ClusterA, 3, ignoreFormatted: false, new Random(1));
        Assert.Equal([Dir("a"), Dir("b")], result.Formatted);
        Assert.Empty(result.AlreadyFormatted);
        var a = Stored(Dir("a"));
        var b = Stored(Dir("b"));
        Assert.Equal((ClusterA, 3), (a.ClusterId, a.NodeId));
        Assert.Equal((ClusterA, 3), (b.ClusterId, b.NodeId));
        Assert.NotNull(a.DirectoryId);
        Assert.NotEqual(a.DirectoryId, b.DirectoryId);
        string text = File.ReadAllText(Path.Combine(Dir("a"), MetaProperties.FileName));
        Assert.Contains("version=1\n", text, StringComparison.Ordinal);
        Assert.Contains("directory.id=" + a.DirectoryId, text, StringComparison.Ordinal);
    }

    [Fact]
    public void A_formatted_node_starts_with_the_formatted_cluster_id()
    {
        StorageFormatter.Format([Dir("a")], ClusterA, 1, ignoreFormatted: false, new Random(1));
        Assert.Equal(ClusterA, MetaProperties.EnsureConsistent([Dir("a")], 1, new Random(2)));
        // A dir added later joins the formatted cluster.
        Assert.Equal(ClusterA, MetaProperties.EnsureConsistent([Dir("a"), Dir("b")], 1, new Random(2)));
        Assert.Equal(ClusterA, Stored(Dir("b")).ClusterId);
    }

    [Theory]
    [InlineData("not-a-uuid")]
    [InlineData("MkU3OEVBNTcwNTJENDM2Q")]
    [InlineData("MkU3OEVBNTcwNTJENDM2Qg==")]
    [InlineData("")]
    public void An_invalid_cluster_id_is_refused(string clusterId)
    {
        var e = Assert.Throws<StorageFormatException>(() => StorageFormatter.Format([Dir("a")], clusterId, 1, false, new Random(1)));
        Assert.Contains("is not a Kafka UUID", e.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(Dir("a"), MetaProperties.FileName)));
    }

    [Fact]
    public void A_formatted_dir_is_refused_unless_formatted_dirs_are_skipped()
    {
        StorageFormatter.Format([Dir("a")], ClusterA, 1, false, new Random(1));
        var before = Stored(Dir("a"));
        var e = Assert.Throws<StorageFormatException>(() => StorageFormatter.Format([Dir("a"), Dir("b")], ClusterA, 1, false, new Random(2)));
        Assert.Contains($"Log dir {Dir("a")} is already formatted. Use --ignore-formatted", e.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Dir("b")));

        var result = StorageFormatter.Format([Dir("a"), Dir("b")], ClusterA, 1, ignoreFormatted: true, new Random(2));
        Assert.Equal([Dir("b")], result.Formatted);
        Assert.Equal([Dir("a")], result.AlreadyFormatted);
        Assert.Equal(before, Stored(Dir("a")));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_dir_of_another_cluster_or_node_is_refused_even_when_skipping_formatted_dirs(bool ignoreFormatted)
    {
        StorageFormatter.Format([Dir("a")], ClusterA, 1, false, new Random(1));
        var cluster = Assert.Throws<MetaPropertiesMismatchException>(() => StorageFormatter.Format([Dir("a")], ClusterB, 1, ignoreFormatted, new Random(1)));
        Assert.Contains($"has cluster.id {ClusterA}, not {ClusterB}", cluster.Message, StringComparison.Ordinal);
        var node = Assert.Throws<MetaPropertiesMismatchException>(() => StorageFormatter.Format([Dir("a")], ClusterA, 2, ignoreFormatted, new Random(1)));
        Assert.Contains("belongs to another node", node.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_node_whose_dirs_hold_two_clusters_refuses_to_start()
    {
        StorageFormatter.Format([Dir("a")], ClusterA, 1, false, new Random(1));
        StorageFormatter.Format([Dir("b")], ClusterB, 1, false, new Random(2));
        var e = Assert.Throws<MetaPropertiesMismatchException>(() => MetadataBootstrap.Open([Dir("a"), Dir("b")], 1, new Random(3), TimeProvider.System));
        Assert.Contains("different clusters", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Two_dirs_with_one_directory_id_refuse_to_start()
    {
        StorageFormatter.Format([Dir("a")], ClusterA, 1, false, new Random(1));
        Directory.CreateDirectory(Dir("b"));
        File.Copy(Path.Combine(Dir("a"), MetaProperties.FileName), Path.Combine(Dir("b"), MetaProperties.FileName));
        var e = Assert.Throws<MetaPropertiesMismatchException>(() => MetaProperties.EnsureConsistent([Dir("a"), Dir("b")], 1, new Random(3)));
        Assert.Contains("the same directory.id", e.Message, StringComparison.Ordinal);
        Assert.Contains(LogDirInspector.Problems(LogDirInspector.Inspect([Dir("a"), Dir("b")]), 1), p => p.Contains("share directory.id", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("directory.id=nonsense", "is not a Kafka UUID")]
    [InlineData("directory.id=AAAAAAAAAAAAAAAAAAAAAQ", "one of the ids Kafka reserves")]
    public void A_bad_directory_id_is_refused(string line, string reason)
    {
        Directory.CreateDirectory(Dir("a"));
        File.WriteAllText(Path.Combine(Dir("a"), MetaProperties.FileName), $"version=1\ncluster.id={ClusterA}\nnode.id=1\n{line}\n");
        var e = Assert.Throws<MetaPropertiesMismatchException>(() => MetaProperties.EnsureConsistent([Dir("a")], 1, new Random(3)));
        Assert.Contains(reason, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_dir_formatted_before_directory_ids_still_starts()
    {
        Directory.CreateDirectory(Dir("a"));
        File.WriteAllText(Path.Combine(Dir("a"), MetaProperties.FileName), $"version=1\ncluster.id={ClusterA}\nnode.id=1\n");
        Assert.Equal(ClusterA, MetaProperties.EnsureConsistent([Dir("a")], 1, new Random(3)));
    }

    [Fact]
    public void New_directory_ids_are_never_reserved()
    {
        var random = new Random(5);
        for (int i = 0; i < 1000; i++)
            Assert.False(MetaPropertiesFile.IsReservedDirectoryId(MetaPropertiesFile.NewDirectoryId(random)));
        Assert.True(MetaPropertiesFile.IsReservedDirectoryId(new KafkaUuid(0, 99)));
        Assert.False(MetaPropertiesFile.IsReservedDirectoryId(new KafkaUuid(0, 100)));
    }

    [Fact]
    public void Inspection_tells_missing_unformatted_formatted_and_unreadable_dirs_apart()
    {
        StorageFormatter.Format([Dir("a")], ClusterA, 1, false, new Random(1));
        Directory.CreateDirectory(Dir("b"));
        Directory.CreateDirectory(Dir("d"));
        File.WriteAllText(Path.Combine(Dir("d"), MetaProperties.FileName), "version=0\n");
        var states = LogDirInspector.Inspect([Dir("a"), Dir("b"), Dir("c"), Dir("d")]);
        Assert.Equal([LogDirStatus.Formatted, LogDirStatus.Unformatted, LogDirStatus.Missing, LogDirStatus.Unreadable], states.Select(s => s.Status));
        Assert.Equal(ClusterA, states[0].Properties!.ClusterId);
        var problems = LogDirInspector.Problems(states, 2);
        Assert.Contains(problems, p => p.Contains("version '0'", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("belongs to node 1, not to node.id 2", StringComparison.Ordinal));
    }
}
