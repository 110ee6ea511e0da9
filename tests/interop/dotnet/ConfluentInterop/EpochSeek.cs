using System.Reflection;
using System.Runtime.InteropServices;
using Confluent.Kafka;

namespace ConfluentInterop;

/// <summary>
/// A seek that carries a leader epoch, made through librdkafka's own <c>rd_kafka_seek_partitions</c>: Confluent.Kafka
/// 2.16's <c>Seek</c> drops the epoch of the <see cref="TopicPartitionOffset"/> it is given (librdkafka logs "leader
/// epoch -1"), and a seek with an epoch is how librdkafka is made to validate a position (KIP-320) on a broker whose
/// leader epochs never change. The consumer's native handle is read from Confluent.Kafka by reflection.
/// </summary>
internal static class EpochSeek
{
    // rd_kafka_topic_partition_t: char *topic; int32_t partition; int64_t offset; ... (offset after padding, at 16).
    private const int OffsetField = 16;

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate nint ListNew(int size);

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate nint ListAdd(nint list, [MarshalAs(UnmanagedType.LPUTF8Str)] string topic, int partition);

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate void ListDestroy(nint list);

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate void SetLeaderEpoch(nint partition, int leaderEpoch);

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate nint SeekPartitions(nint client, nint partitions, int timeoutMs);

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate nint ErrorString(nint error);

    public static void Seek(IConsumer<byte[], byte[]> consumer, string library, TopicPartition partition, long offset, int leaderEpoch)
    {
        nint lib = NativeLibrary.Load(library);
        T Export<T>(string name) where T : Delegate => Marshal.GetDelegateForFunctionPointer<T>(NativeLibrary.GetExport(lib, name));

        object? safeHandle = typeof(Handle).GetProperty("LibrdkafkaHandle", BindingFlags.Instance | BindingFlags.NonPublic | BindingFlags.Public)
            ?.GetValue(consumer.Handle);
        Interop.Check(safeHandle is SafeHandle, "Confluent.Kafka's Handle has no LibrdkafkaHandle to seek with");
        nint client = ((SafeHandle)safeHandle!).DangerousGetHandle();

        nint list = Export<ListNew>("rd_kafka_topic_partition_list_new")(1);
        try
        {
            nint element = Export<ListAdd>("rd_kafka_topic_partition_list_add")(list, partition.Topic, partition.Partition.Value);
            Marshal.WriteInt64(element, OffsetField, offset);
            Export<SetLeaderEpoch>("rd_kafka_topic_partition_set_leader_epoch")(element, leaderEpoch);
            nint error = Export<SeekPartitions>("rd_kafka_seek_partitions")(client, list, 10_000);
            Interop.Check(error == 0, $"rd_kafka_seek_partitions failed: {Marshal.PtrToStringUTF8(Export<ErrorString>("rd_kafka_error_string")(error))}");
        }
        finally
        {
            Export<ListDestroy>("rd_kafka_topic_partition_list_destroy")(list);
        }
    }
}
