using System.Text.Json;
using Gregor.Cli.Commands;
using Gregor.Metadata;
using Gregor.Protocol.Primitives;

namespace Gregor.Cli.Tests;

public sealed class StorageCommandTests : IDisposable
{
    private const string ClusterId = "MkU3OEVBNTcwNTJENDM2Qg";
    private readonly string _root = Path.Combine(Path.GetTempPath(), "gregor-storage-cli-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { }
    }

    private string Dir(string name) => Path.Combine(_root, name);

    private string LogDirs => $"log.dirs={Dir("a")},{Dir("b")}";

    private static async Task<CliRun> Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int exit = await GregorCli.RunAsync(args, new RecordingHandlers(), output, error);
        return new CliRun(exit, output.ToString(), error.ToString());
    }

    private static void AssertStorageFailed(CliRun run, string expected)
    {
        Assert.True(run.Exit == 1, $"exit {run.Exit}; out: {run.Out}; error: {run.Error}");
        Assert.StartsWith("gregor storage ", run.Error, StringComparison.Ordinal);
        Assert.Contains(expected, run.Error, StringComparison.Ordinal);
        Assert.Single(run.Error.TrimEnd().Split('\n'));
    }

    [Fact]
    public async Task Random_uuid_prints_a_kafka_uuid_bare_or_as_json()
    {
        var bare = await Run("storage", "random-uuid");
        bare.AssertOk();
        string uuid = bare.Out.Trim();
        Assert.Equal(22, uuid.Length);
        Assert.True(KafkaUuid.TryParse(uuid, out var parsed) && !parsed.IsZero);
        Assert.NotEqual(uuid, (await Run("storage", "random-uuid")).Out.Trim());
        Assert.True(KafkaUuid.TryParse((await Run("storage", "random-uuid", "-o", "json")).Json().GetProperty("uuid").GetString(), out _));
    }

    [Fact]
    public async Task Format_writes_every_log_dir_of_the_config_file()
    {
        Directory.CreateDirectory(_root);
        string file = Path.Combine(_root, "server.properties");
        await File.WriteAllTextAsync(file, $"node.id=4\n{LogDirs}\n");
        var run = await Run("storage", "format", "--cluster-id", ClusterId, "--config", file);
        run.AssertOk();
        Assert.Contains($"Formatted {Dir("a")} for cluster {ClusterId}, node 4.", run.Out, StringComparison.Ordinal);
        foreach (string dir in new[] { Dir("a"), Dir("b") })
        {
            var stored = MetaPropertiesFile.Read(Path.Combine(dir, MetaProperties.FileName));
            Assert.Equal((ClusterId, 4), (stored.ClusterId, stored.NodeId));
            Assert.NotNull(stored.DirectoryId);
        }
    }

    [Fact]
    public async Task Format_says_what_it_did_as_json_and_kafkas_short_flags_work()
    {
        var json = (await Run("storage", "format", "-t", ClusterId, "--set", LogDirs, "--set", "node.id=2", "-o", "json")).Json();
        Assert.Equal(ClusterId, json.GetProperty("clusterId").GetString());
        Assert.Equal(2, json.GetProperty("nodeId").GetInt32());
        Assert.Equal([Dir("a"), Dir("b")], json.GetProperty("formatted").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(0, json.GetProperty("alreadyFormatted").GetArrayLength());
    }

    [Fact]
    public async Task Format_refuses_an_invalid_cluster_id() =>
        AssertStorageFailed(await Run("storage", "format", "--cluster-id", "my-cluster", "--set", LogDirs), "'my-cluster' is not a Kafka UUID");

    [Fact]
    public async Task Format_needs_a_cluster_id()
    {
        var run = await Run("storage", "format", "--set", LogDirs);
        Assert.Equal(GregorCli.BadArguments, run.Exit);
        Assert.Contains("--cluster-id", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Formatting_twice_needs_ignore_formatted_and_another_cluster_id_is_always_refused()
    {
        (await Run("storage", "format", "-t", ClusterId, "--set", $"log.dirs={Dir("a")}")).AssertOk();
        AssertStorageFailed(await Run("storage", "format", "-t", ClusterId, "--set", LogDirs), "is already formatted. Use --ignore-formatted");
        var skipped = await Run("storage", "format", "-t", ClusterId, "--set", LogDirs, "--ignore-formatted");
        skipped.AssertOk();
        Assert.Contains($"Skipped {Dir("a")}", skipped.Out, StringComparison.Ordinal);
        Assert.Contains($"Formatted {Dir("b")}", skipped.Out, StringComparison.Ordinal);
        Assert.Contains("All of the log dirs are already formatted.", (await Run("storage", "format", "-t", ClusterId, "--set", LogDirs, "-g")).Out, StringComparison.Ordinal);
        AssertStorageFailed(await Run("storage", "format", "-t", "q1Sh-9_ISia_zwGINzRvyQ", "--set", LogDirs, "--ignore-formatted"), "belongs to another cluster");
    }

    [Fact]
    public async Task Format_reports_a_bad_config_by_setting() =>
        AssertStorageFailed(await Run("storage", "format", "-t", ClusterId, "--set", "process.roles=leader"), "'process.roles'");

    [Fact]
    public async Task Standalone_is_for_a_controller_of_a_dynamic_quorum()
    {
        string[] dynamic = ["--set", LogDirs, "--set", "controller.quorum.bootstrap.servers=localhost:9093", "--set", "controller.listener.names=CONTROLLER",
            "--set", "listeners=PLAINTEXT://:9092,CONTROLLER://:9093"];
        AssertStorageFailed(await Run(["storage", "format", "-t", ClusterId, .. dynamic]), "give --standalone");
        (await Run(["storage", "format", "-t", ClusterId, "--standalone", .. dynamic])).AssertOk();
        AssertStorageFailed(await Run("storage", "format", "-t", ClusterId, "--standalone", "--set", $"log.dirs={Dir("c")}",
            "--set", "controller.quorum.voters=1@localhost:9093", "--set", "controller.listener.names=CONTROLLER", "--set", "listeners=PLAINTEXT://:9092,CONTROLLER://:9093"),
            "sets a static one");
        AssertStorageFailed(await Run("storage", "format", "-t", ClusterId, "-s", "--set", $"log.dirs={Dir("c")}", "--set", "process.roles=broker", "--set", "node.id=2",
            "--set", "controller.quorum.bootstrap.servers=localhost:9093", "--set", "controller.listener.names=CONTROLLER"), "only for a controller");
        AssertStorageFailed(await Run("storage", "format", "-t", ClusterId, "-s", "--set", $"log.dirs={Dir("c")}"), "names none");
    }

    [Fact]
    public async Task Info_shows_each_dir_and_fails_on_dirs_of_two_clusters()
    {
        (await Run("storage", "format", "-t", ClusterId, "--set", $"log.dirs={Dir("a")}")).AssertOk();
        var ok = await Run("storage", "info", "--set", LogDirs);
        ok.AssertOk();
        Assert.Contains("formatted", ok.Out, StringComparison.Ordinal);
        Assert.Contains("missing", ok.Out, StringComparison.Ordinal);

        (await Run("storage", "format", "-t", "q1Sh-9_ISia_zwGINzRvyQ", "--set", $"log.dirs={Dir("b")}")).AssertOk();
        var run = await Run("storage", "info", "--set", LogDirs, "-o", "json");
        Assert.Equal(1, run.Exit);
        var json = JsonDocument.Parse(run.Out).RootElement;
        var dirs = json.GetProperty("logDirs").EnumerateArray().ToList();
        Assert.Equal(["formatted", "formatted"], dirs.Select(d => d.GetProperty("status").GetString()));
        Assert.Equal(ClusterId, dirs[0].GetProperty("clusterId").GetString());
        Assert.Contains("different clusters", json.GetProperty("problems")[0].GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Storage_without_a_verb_lists_its_verbs()
    {
        var run = await Run("storage");
        Assert.Equal(GregorCli.BadArguments, run.Exit);
        Assert.Contains("random-uuid", run.Out, StringComparison.Ordinal);
        Assert.Contains("format", run.Out, StringComparison.Ordinal);
    }
}
