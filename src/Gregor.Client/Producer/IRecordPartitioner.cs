namespace Gregor.Client.Producer;

/// <summary>Chooses the partition of a record sent without one (the producer asks this only for <see cref="Partition.Any"/>).</summary>
internal interface IRecordPartitioner
{
    int Partition(string topic, int partitionCount, ReadOnlySpan<byte> key, bool keyIsNull);
}
