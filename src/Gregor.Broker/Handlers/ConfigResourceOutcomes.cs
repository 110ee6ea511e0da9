using Gregor.Metadata.Controller;
using Gregor.Protocol;

namespace Gregor.Broker.Handlers;

/// <summary>
/// The per-resource flow both config-altering APIs share: a resource named more than once is answered with
/// INVALID_REQUEST (as Kafka does) and left out; the rest go to the controller in one operation; a controller
/// failure becomes every remaining resource's error. Outcomes come back in request order.
/// </summary>
internal static class ConfigResourceOutcomes
{
    public static async Task<IReadOnlyList<Outcome>> RunAsync<TResource>(
        IReadOnlyList<TResource> resources,
        Func<TResource, (sbyte Type, string Name)> key,
        Func<IReadOnlyList<TResource>, Task<IReadOnlyList<Outcome>>> alter)
    {
        var duplicates = resources.GroupBy(key).Where(g => g.Count() > 1).Select(g => g.Key).ToHashSet();
        var unique = resources.Where(r => !duplicates.Contains(key(r))).ToList();

        IReadOnlyList<Outcome> altered;
        try
        {
            altered = await alter(unique).ConfigureAwait(false);
        }
        catch (Exception e) when (ControllerFailures.IsControllerFailure(e))
        {
            altered = unique.Select(_ => new Outcome(ControllerFailures.ErrorFor(e), e.Message)).ToList();
        }

        var outcomes = new List<Outcome>(resources.Count);
        int next = 0;
        foreach (var resource in resources)
        {
            outcomes.Add(duplicates.Contains(key(resource))
                ? new Outcome(ErrorCode.InvalidRequest, "Duplicate resource in request.")
                : altered[next++]);
        }
        return outcomes;
    }
}
