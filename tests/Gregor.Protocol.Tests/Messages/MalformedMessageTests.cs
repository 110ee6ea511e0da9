using Gregor.Protocol.Messages;
using Gregor.Protocol.Primitives;

namespace Gregor.Protocol.Tests.Messages;

/// <summary>
/// Truncated, mutated and random bytes never escape as anything but MalformedMessageException,
/// and never make the decoder allocate past its declared bound.
/// </summary>
public sealed class MalformedMessageTests
{
    public static TheoryData<string, short> Cases() => MessageRoundTripTests.Cases();

    [Theory]
    [MemberData(nameof(Cases))]
    public void Truncated_mutated_and_random_input_is_refused_cleanly(string name, short version)
    {
        var descriptor = MessageCatalog.All.Single(d => d.Name == name);
        var random = new Random(name.Length * 31 + version);
        var original = new RandomMessages(descriptor, version).Create(version);
        byte[] bytes = MessageCodecs.Serialize(original, version);

        for (int cut = 0; cut < bytes.Length; cut++)
            Check(descriptor, bytes[..cut], version, mustFail: true);

        for (int round = 0; round < 200; round++)
        {
            byte[] mutated = (byte[])bytes.Clone();
            int flips = 1 + random.Next(4);
            for (int i = 0; i < flips && mutated.Length > 0; i++)
                mutated[random.Next(mutated.Length)] = (byte)random.Next(256);
            Check(descriptor, mutated, version, mustFail: false);
        }

        for (int round = 0; round < 50; round++)
        {
            var noise = new byte[random.Next(0, 64)];
            random.NextBytes(noise);
            Check(descriptor, noise, version, mustFail: false);
        }
    }

    private static void Check(MessageDescriptor d, byte[] input, short version, bool mustFail)
    {
        long allocated = MessageCodecs.AllocatedByRead(d, input, version, int.MaxValue, out var failure, out long elements);
        if (failure is not null)
            Assert.True(failure is MalformedMessageException, $"{d.Name} v{version}: {failure.GetType().Name}: {failure.Message}");
        else if (mustFail && !IsEmptyEncodable(d, version))
            Assert.Fail($"{d.Name} v{version}: {input.Length} truncated bytes decoded without error");
        // Throwing costs a fixed amount (message text, stack trace) whatever the input's size.
        long exceptionAllowance = failure is null ? 0 : 16 * 1024;
        Assert.True(allocated <= d.MaxAllocationFor(input.Length, elements) + exceptionAllowance,
            $"{d.Name} v{version}: {allocated} bytes allocated for {input.Length} input bytes and {elements} elements, input {Convert.ToHexString(input)}");
    }

    // A message with no fields in a version decodes from zero bytes, so a cut at 0 is legal for it.
    private static bool IsEmptyEncodable(MessageDescriptor d, short version) =>
        !d.IsFlexible(version) && d.Root.Fields.All(f => !f.IsPresentIn(version) || f.IsTagged);
}
