using Gregor.Metadata.Records;

namespace Gregor.Metadata;

/// <summary>
/// The fold of the broker registration records, as Kafka's controller replays them: a registration replaces the
/// broker's previous one whole; every later change names the broker and the epoch it applies to, and a change
/// for a broker or epoch that is not registered is a corrupt log.
/// </summary>
internal static class BrokerFold
{
    public static MetadataImage Register(MetadataImage image, RegisterBrokerRecord r, long offset)
    {
        var listeners = r.Endpoints.Select(e => new BrokerListener(e.Name, e.Host, e.Port, e.SecurityProtocol)).ToArray();
        // The first listener is the one clients are told about (the advertised listener the broker registered first).
        var first = listeners.Length > 0 ? listeners[0] : null;
        var registration = new BrokerRegistration(r.BrokerId, first?.Host ?? "", first?.Port ?? -1, r.Rack)
        {
            IncarnationId = r.IncarnationId,
            Epoch = r.BrokerEpoch,
            Fenced = r.Fenced,
            InControlledShutdown = r.InControlledShutdown,
            Listeners = [.. listeners],
            RegistrationOffset = offset,
        };
        return image with { Brokers = image.Brokers.SetItem(r.BrokerId, registration) };
    }

    public static MetadataImage Unregister(MetadataImage image, UnregisterBrokerRecord r)
    {
        Registered(image, r, r.BrokerId, r.BrokerEpoch);
        return image with { Brokers = image.Brokers.Remove(r.BrokerId) };
    }

    /// <summary>BrokerRegistrationChangeRecord: fenced 1 fences, -1 unfences, 0 leaves it; in-controlled-shutdown 1 enters it, 0 leaves it.</summary>
    public static MetadataImage Change(MetadataImage image, BrokerRegistrationChangeRecord r)
    {
        bool? fenced = r.Fenced switch
        {
            1 => true,
            -1 => false,
            0 => null,
            _ => throw new MetadataLogCorruptException($"broker registration change of broker {r.BrokerId} has fenced value {r.Fenced}"),
        };
        bool? inControlledShutdown = r.InControlledShutdown switch
        {
            1 => true,
            0 => null,
            _ => throw new MetadataLogCorruptException($"broker registration change of broker {r.BrokerId} has in-controlled-shutdown value {r.InControlledShutdown}"),
        };
        return Change(image, r, r.BrokerId, r.BrokerEpoch, fenced, inControlledShutdown);
    }

    public static MetadataImage Change(MetadataImage image, IMetadataRecord record, int brokerId, long epoch, bool? fenced, bool? inControlledShutdown)
    {
        var current = Registered(image, record, brokerId, epoch);
        var changed = current with
        {
            Fenced = fenced ?? current.Fenced,
            InControlledShutdown = inControlledShutdown ?? current.InControlledShutdown,
        };
        return image with { Brokers = image.Brokers.SetItem(brokerId, changed) };
    }

    private static BrokerRegistration Registered(MetadataImage image, IMetadataRecord record, int brokerId, long epoch)
    {
        if (!image.Brokers.TryGetValue(brokerId, out var current))
            throw new MetadataLogCorruptException($"{record.GetType().Name} of broker {brokerId}, which is not registered");
        if (current.Epoch != epoch)
            throw new MetadataLogCorruptException($"{record.GetType().Name} of broker {brokerId} at epoch {epoch}, but its registration has epoch {current.Epoch}");
        return current;
    }
}
