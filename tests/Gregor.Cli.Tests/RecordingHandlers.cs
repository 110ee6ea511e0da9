using Gregor.Cli.Commands;

namespace Gregor.Cli.Tests;

/// <summary>Keeps what each command was asked to do instead of talking to brokers.</summary>
internal sealed class RecordingHandlers : ICommandHandlers
{
    public object? Last { get; private set; }

    private Task<int> Keep(object args)
    {
        Last = args;
        return Task.FromResult(0);
    }

    public Task<int> TopicCreateAsync(TopicCreateArgs args, CancellationToken cancellationToken) => Keep(args);

    public Task<int> TopicListAsync(TopicListArgs args, CancellationToken cancellationToken) => Keep(args);

    public Task<int> TopicDescribeAsync(TopicDescribeArgs args, CancellationToken cancellationToken) => Keep(args);

    public Task<int> PartitionElectAsync(PartitionElectArgs args, CancellationToken cancellationToken) => Keep(args);

    public Task<int> PartitionReassignAsync(PartitionReassignArgs args, CancellationToken cancellationToken) => Keep(args);

    public Task<int> PartitionReassignmentsAsync(PartitionReassignmentsArgs args, CancellationToken cancellationToken) => Keep(args);

    public Task<int> TopicAlterAsync(TopicAlterArgs args, CancellationToken cancellationToken) => Keep(args);

    public Task<int> TopicDeleteAsync(TopicDeleteArgs args, CancellationToken cancellationToken) => Keep(args);

    public Task<int> TopicAddPartitionsAsync(TopicAddPartitionsArgs args, CancellationToken cancellationToken) => Keep(args);

    public Task<int> ProduceAsync(ProduceArgs args, CancellationToken cancellationToken) => Keep(args);

    public Task<int> ConsumeAsync(ConsumeArgs args, CancellationToken cancellationToken) => Keep(args);

    public Task<int> ClusterInfoAsync(ClusterInfoArgs args, CancellationToken cancellationToken) => Keep(args);

    public Task<int> ClusterDescribeAsync(ClusterDescribeArgs args, CancellationToken cancellationToken) => Keep(args);

    public Task<int> ClusterQuorumAsync(ClusterQuorumArgs args, CancellationToken cancellationToken) => Keep(args);

    public Task<int> OffsetsAsync(OffsetsArgs args, CancellationToken cancellationToken) => Keep(args);

    public Task<int> GroupListAsync(GroupListArgs args, CancellationToken cancellationToken) => Keep(args);

    public Task<int> GroupDescribeAsync(GroupDescribeArgs args, CancellationToken cancellationToken) => Keep(args);

    public Task<int> GroupDeleteAsync(GroupDeleteArgs args, CancellationToken cancellationToken) => Keep(args);

    public Task<int> GroupResetOffsetsAsync(GroupResetOffsetsArgs args, CancellationToken cancellationToken) => Keep(args);

    public Task<int> PerfProduceAsync(PerfProduceArgs args, CancellationToken cancellationToken) => Keep(args);

    public Task<int> PerfConsumeAsync(PerfConsumeArgs args, CancellationToken cancellationToken) => Keep(args);

    /// <summary>Parses a command line as `gregor` would, with these handlers recording what it asked for.</summary>
    public static async Task<ParsedRun> ParseAsync(params string[] args)
    {
        var handlers = new RecordingHandlers();
        var output = new StringWriter();
        var error = new StringWriter();
        int exit = await GregorCli.RunAsync(args, handlers, output, error);
        return new ParsedRun(exit, handlers.Last, output.ToString(), error.ToString());
    }
}

/// <summary>What a parsed command line came to: the exit code, the recorded arguments and what was printed.</summary>
internal sealed record ParsedRun(int Exit, object? Args, string Out, string Error);
