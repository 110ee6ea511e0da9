using Gregor.Metadata.Controller;
using Gregor.Protocol;

namespace Gregor.Metadata.Tests;

/// <summary>A topic that does not fit the brokers' capacity is refused whole with POLICY_VIOLATION; nothing of it is committed.</summary>
public sealed class ControllerCapacityTests : IDisposable
{
    private readonly AtMost _capacity = new(10);
    private readonly ControllerFixture _f;

    public ControllerCapacityTests() => _f = new ControllerFixture(capacity: _capacity);

    public void Dispose() => _f.Dispose();

    [Fact]
    public async Task Topics_past_the_capacity_are_refused_whole_and_the_rest_of_the_request_is_created()
    {
        IReadOnlyList<CreateTopicOutcome> outcomes = await _f.Controller.CreateTopicsAsync(
        [
            new NewTopic("fits", 6, 1, [], []),
            // 6 + 5 > 10: refused, although 4 of its partitions would have fitted.
            new NewTopic("too-big", 5, 1, [], []),
            new NewTopic("fits-too", 4, 1, [], []),
        ], validateOnly: false);

        Assert.Equal([ErrorCode.None, ErrorCode.PolicyViolation, ErrorCode.None], outcomes.Select(o => o.Error));
        Assert.Equal("at most 10 replicas per broker; broker 1 would have 11", outcomes[1].Message);
        Assert.Null(_f.Image.Topic("too-big"));
        Assert.Equal(10, _f.Image.TopicsByName.Values.Sum(t => t.Partitions.Length));

        _f.Reopen();
        Assert.Null(_f.Image.Topic("too-big"));
        Assert.Equal(6, _f.Image.Topic("fits")!.Partitions.Length);
    }

    [Fact]
    public async Task Validate_only_reports_the_refusal_and_create_partitions_is_refused_the_same_way()
    {
        IReadOnlyList<CreateTopicOutcome> checkedOnly = await _f.Controller.CreateTopicsAsync([new NewTopic("big", 11, 1, [], [])], validateOnly: true);
        Assert.Equal(ErrorCode.PolicyViolation, checkedOnly.Single().Error);

        Assert.Equal(ErrorCode.None, (await _f.CreateAsync("grows", partitions: 8)).Error);
        IReadOnlyList<Outcome> tooMany = await _f.Controller.CreatePartitionsAsync([new PartitionIncrease("grows", 11, null)], validateOnly: false);
        Assert.Equal(ErrorCode.PolicyViolation, tooMany.Single().Error);
        Assert.Equal(8, _f.Image.Topic("grows")!.Partitions.Length);
        IReadOnlyList<Outcome> fits = await _f.Controller.CreatePartitionsAsync([new PartitionIncrease("grows", 10, null)], validateOnly: false);
        Assert.Equal(ErrorCode.None, fits.Single().Error);
        Assert.Equal(10, _f.Image.Topic("grows")!.Partitions.Length);
        Assert.Equal([8, 2], _capacity.Added);
    }

    /// <summary>At most <paramref name="max"/> replicas per broker, counted from the image as the broker's capacity does.</summary>
    private sealed class AtMost(int max) : IReplicaCapacity
    {
        public List<int> Added { get; } = [];

        public string? Refusal(MetadataImage image, IReadOnlyDictionary<int, int> newReplicasByBroker)
        {
            foreach ((int broker, int added) in newReplicasByBroker)
            {
                int hosted = image.TopicsByName.Values.Sum(t => t.Partitions.Count(p => p.Replicas.Contains(broker)));
                if (hosted + added > max)
                    return $"at most {max} replicas per broker; broker {broker} would have {hosted + added}";
            }
            Added.Add(newReplicasByBroker.Values.Sum());
            return null;
        }
    }
}
