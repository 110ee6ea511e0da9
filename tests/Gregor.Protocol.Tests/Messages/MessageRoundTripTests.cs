using Gregor.Protocol.Messages;

namespace Gregor.Protocol.Tests.Messages;

/// <summary>Every message at every version survives encode → decode → encode with every field intact.</summary>
public sealed class MessageRoundTripTests
{
    public static TheoryData<string, short> Cases()
    {
        var data = new TheoryData<string, short>();
        foreach (var (m, v) in MessageCodecs.EveryMessageVersion()) data.Add(m.Name, v);
        return data;
    }

    private static MessageDescriptor Find(string name) => MessageCatalog.All.Single(d => d.Name == name);

    [Theory]
    [MemberData(nameof(Cases))]
    public void Round_trips_random_instances(string name, short version)
    {
        var descriptor = Find(name);
        for (int seed = 0; seed < 25; seed++)
        {
            var original = new RandomMessages(descriptor, seed * 7919 + version).Create(version);
            byte[] bytes = MessageCodecs.Serialize(original, version);
            var decoded = MessageCodecs.Deserialize(descriptor, bytes, version);

            var differences = RandomMessages.Differences(descriptor, original, decoded, version);
            Assert.True(differences.Count == 0, $"seed {seed}: " + string.Join("; ", differences));
            Assert.Equal(bytes, MessageCodecs.Serialize(decoded, version));
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Decoding_stays_within_the_declared_allocation_bounds(string name, short version)
    {
        var descriptor = Find(name);
        for (int seed = 0; seed < 10; seed++)
        {
            // Ordinary messages, then dense ones: many elements, values of 0-1 bytes, the most allocation per wire byte.
            CheckBounds(descriptor, version, new RandomMessages(descriptor, seed + 1000 * version).Create(version));
            CheckBounds(descriptor, version, new RandomMessages(descriptor, seed + 1000 * version, arrayLengths: 24, blobLengths: 2).Create(version));
        }
    }

    private static void CheckBounds(MessageDescriptor descriptor, short version, object message)
    {
        byte[] bytes = MessageCodecs.Serialize(message, version);
        long allocated = MessageCodecs.AllocatedByRead(descriptor, bytes, version, int.MaxValue, out var failure, out long elements);
        Assert.Null(failure);
        long perByte = descriptor.MaxAllocationFor(bytes.Length);
        long perElement = descriptor.RootAllocation + (elements * descriptor.MaxAllocationPerElement) + ((long)bytes.Length * MessageDescriptor.PayloadAllocationPerWireByte);
        Assert.True(allocated <= perByte, $"{descriptor.Name} v{version}: {allocated} bytes allocated for {bytes.Length} wire bytes, bound {perByte}");
        Assert.True(allocated <= perElement, $"{descriptor.Name} v{version}: {allocated} bytes allocated for {elements} elements and {bytes.Length} wire bytes, bound {perElement}");
    }

    [Fact]
    public void Every_issue_api_is_generated_with_a_request_and_a_response()
    {
        short[] expected = [0, 1, 2, 3, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 22, 32, 33, 36, 37, 42, 44, 47, 60];
        foreach (short key in expected)
        {
            Assert.Contains(MessageCatalog.All, d => d.ApiKey == key && d.Kind == "request");
            Assert.Contains(MessageCatalog.All, d => d.ApiKey == key && d.Kind == "response");
        }
    }
}
