using System.Net.Sockets;
using System.Text;
using Gregor.Cli.Output;
using Gregor.Client;

namespace Gregor.Cli.Commands;

/// <summary>
/// Runs the client commands against brokers through the managed client. Failures end in one line on standard
/// error and a non-zero exit: 1 for a failed operation, 2 for bad settings.
/// </summary>
internal sealed partial class ClientCommandHandlers : ICommandHandlers
{
    private readonly TextWriter _out;
    private readonly TextWriter _error;
    private readonly TextReader _in;

    public ClientCommandHandlers(TextWriter output, TextWriter error, TextReader? input = null)
    {
        _out = output;
        _error = error;
        _in = input ?? Console.In;
    }

    public Task<int> ProduceAsync(ProduceArgs args, CancellationToken cancellationToken) => Guarded("produce", args.Target, async () =>
    {
        var config = ProducerConfigFor(args.Target, args.Acks, args.Compression, args.ProducerProperties);
        using var producer = new ProducerBuilder<byte[], byte[]>(config)
            .SetKeySerializer(Serializers.ByteArray).SetValueSerializer(Serializers.ByteArray).Build();
        long failed = 0;
        string? firstFailure = null;
        void OnDelivery(DeliveryReport<byte[], byte[]> report)
        {
            if (!report.Error.IsError) return;
            if (Interlocked.Increment(ref failed) == 1) firstFailure = report.Error.Reason;
        }
        using TextReader input = args.InputFile is null ? TextReader.Null : OpenInput(args.InputFile);
        TextReader lines = args.InputFile is null ? _in : input;
        while (await lines.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } line)
        {
            var message = args.Format.Parse(line);
            if (args.Partition is { } partition) producer.Produce(new TopicPartition(args.Topic, partition), message, OnDelivery);
            else producer.Produce(args.Topic, message, OnDelivery);
        }
        producer.Flush(cancellationToken);
        if (failed > 0)
        {
            await _error.WriteLineAsync($"gregor produce: {failed} record(s) not delivered; first: {firstFailure}").ConfigureAwait(false);
            return 1;
        }
        return 0;
    });

    private static StreamReader OpenInput(string path)
    {
        try
        {
            return new StreamReader(path, Encoding.UTF8);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new FormatException($"cannot read {path}: {e.Message}", e);
        }
    }

    private static ProducerConfig ProducerConfigFor(ClientTarget target, Acks acks, CompressionType compression,
        IReadOnlyDictionary<string, string> properties)
    {
        var config = new ProducerConfig { BootstrapServers = target.Bootstrap, Acks = acks, CompressionType = compression };
        if (acks != Acks.All && !properties.ContainsKey("enable.idempotence")) config.EnableIdempotence = false;
        foreach (var (key, value) in properties) config.Set(key, value);
        return config;
    }

    /// <summary>Runs a command and turns the failures users meet into one line and an exit code.</summary>
    private async Task<int> Guarded(string command, ClientTarget target, Func<Task<int>> run)
    {
        try
        {
            return await run().ConfigureAwait(false);
        }
        catch (ConfigException e)
        {
            await _error.WriteLineAsync($"gregor {command}: {OneLine(e.Message)}").ConfigureAwait(false);
            return GregorCli.BadArguments;
        }
        catch (KafkaException e) when (e.Error.Code is ErrorCode.Local_AllBrokersDown or ErrorCode.Local_Transport or ErrorCode.Local_TimedOut)
        {
            await _error.WriteLineAsync($"gregor {command}: cannot reach the brokers at {target.Bootstrap}: {OneLine(e.Error.Reason)}").ConfigureAwait(false);
            return 1;
        }
        catch (KafkaException e)
        {
            await _error.WriteLineAsync($"gregor {command}: {OneLine(e.Error.Reason)}").ConfigureAwait(false);
            return 1;
        }
        catch (Exception e) when (e is SocketException or IOException or TimeoutException)
        {
            await _error.WriteLineAsync($"gregor {command}: cannot reach the brokers at {target.Bootstrap}: {OneLine(e.Message)}").ConfigureAwait(false);
            return 1;
        }
        catch (FormatException e)
        {
            await _error.WriteLineAsync($"gregor {command}: {OneLine(e.Message)}").ConfigureAwait(false);
            return 1;
        }
        catch (OperationCanceledException)
        {
            return 130;
        }
    }

    private static string OneLine(string message) => message.ReplaceLineEndings("; ");
}
