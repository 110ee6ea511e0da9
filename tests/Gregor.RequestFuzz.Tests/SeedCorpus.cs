using System.Buffers.Binary;
using Gregor.Protocol.Messages;
using Gregor.Protocol.Tests.Messages;

namespace Gregor.RequestFuzz.Tests;

/// <summary>One request frame (header and body, no size prefix) that mutations start from.</summary>
internal sealed record SeedFrame(string Origin, short ApiKey, short ApiVersion, byte[] Payload);

/// <summary>An API the broker serves and the versions it advertises.</summary>
internal readonly record struct ServedApi(short ApiKey, short Lowest, short Highest);

/// <summary>
/// The frames a run mutates: every golden capture of a served API, and from the codec round-trip corpus a few
/// random valid requests of every served API at every advertised version (some aimed at the broker's own topics,
/// groups and partitions), plus some with many entries, near and past the broker's fan-out cap. The same seed
/// gives the same corpus.
/// </summary>
internal static class SeedCorpus
{
    private const int RandomPerVersion = 3;

    public static IReadOnlyList<SeedFrame> Build(IReadOnlyList<ServedApi> served, int seed)
    {
        var frames = new List<SeedFrame>();
        string golden = Path.Combine(AppContext.BaseDirectory, "Golden");
        foreach (string file in Directory.GetFiles(golden, "*.bin").Order(StringComparer.Ordinal))
        {
            byte[] payload = File.ReadAllBytes(file);
            short api = BinaryPrimitives.ReadInt16BigEndian(payload);
            short version = BinaryPrimitives.ReadInt16BigEndian(payload.AsSpan(2));
            if (served.Any(s => s.ApiKey == api && version >= s.Lowest && version <= s.Highest))
                frames.Add(new SeedFrame(Path.GetFileName(file), api, version, payload));
        }
        if (frames.Count == 0) throw new InvalidOperationException($"no golden captures found in {golden}");

        foreach (var api in served)
        {
            var descriptor = MessageCatalog.All.Single(d => d.Kind == "request" && d.ApiKey == api.ApiKey);
            for (short version = api.Lowest; version <= api.Highest; version++)
            {
                for (int i = 0; i < RandomPerVersion; i++)
                {
                    int messageSeed = HashCode.Combine(seed, api.ApiKey, version, i);
                    var message = (IProtocolStruct)new RandomMessages(descriptor, messageSeed).Create(version);
                    bool aimed = i % 2 == 0;
                    if (aimed) KnownNames.Apply(descriptor, message, new Random(messageSeed));
                    frames.Add(new SeedFrame($"random{(aimed ? " aimed" : "")} {descriptor.Name} v{version} #{i}", api.ApiKey, version, Frame(api.ApiKey, version, message)));
                }
                if (version == api.Highest)
                {
                    // Many entries on each level: hundreds to tens of thousands in all, under and over the fuzz broker's cap.
                    foreach (int width in new[] { 16, 48 })
                    {
                        var wide = (IProtocolStruct)new RandomMessages(descriptor, HashCode.Combine(seed, api.ApiKey, width), arrayLengths: width, blobLengths: 6).Create(version);
                        frames.Add(new SeedFrame($"{width}-wide {descriptor.Name} v{version}", api.ApiKey, version, Frame(api.ApiKey, version, wide)));
                    }
                }
            }
        }
        return frames;
    }

    /// <summary>A request frame without its size prefix: the header its API and version imply, then the body.</summary>
    public static byte[] Frame(short apiKey, short version, IProtocolStruct body, int correlationId = 1)
    {
        var header = new RequestHeader { RequestApiKey = apiKey, RequestApiVersion = version, CorrelationId = correlationId, ClientId = "fuzz" };
        short headerVersion = RequestFraming.RequestHeaderVersion(apiKey, version);
        int headerSize = header.Size(headerVersion);
        var payload = new byte[headerSize + body.Size(version)];
        var writer = new Gregor.Protocol.Primitives.ProtocolWriter(payload);
        header.Write(ref writer, headerVersion);
        body.Write(ref writer, version);
        return payload;
    }
}
