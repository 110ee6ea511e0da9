namespace Gregor.Client.Partitioning;

/// <summary>
/// Chooses the partition of a record the application did not place itself. The producer calls
/// <see cref="Partition"/> for each such record and <see cref="OnBatchCompleted"/> when a batch it built for a
/// partition is closed (full or lingered out), so a sticky strategy can move on.
/// Implementations are called from several threads.
/// </summary>
public interface IPartitioner
{
    /// <param name="topic">The record's topic.</param>
    /// <param name="partitionCount">How many partitions the topic has (at least 1).</param>
    /// <param name="availablePartitions">Partitions that have a leader now; may be empty.</param>
    /// <param name="key">The serialized key; ignored when <paramref name="keyIsNull"/>.</param>
    /// <param name="keyIsNull">Whether the key is null (as opposed to empty).</param>
    /// <returns>A partition from 0 to <paramref name="partitionCount"/> - 1.</returns>
    int Partition(string topic, int partitionCount, ReadOnlySpan<int> availablePartitions, ReadOnlySpan<byte> key, bool keyIsNull);

    /// <summary>A batch for <paramref name="partition"/> of <paramref name="topic"/> was closed.</summary>
    void OnBatchCompleted(string topic, int partitionCount, ReadOnlySpan<int> availablePartitions, int partition);
}
