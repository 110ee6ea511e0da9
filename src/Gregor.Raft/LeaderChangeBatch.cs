using System.Collections.Immutable;
using Gregor.Protocol.Messages;
using Gregor.Protocol.Primitives;
using Gregor.Protocol.Records;

namespace Gregor.Raft;

/// <summary>
/// The control batch a new leader appends first in its epoch, as Kafka writes it in <c>__cluster_metadata</c>:
/// one control record of type LeaderChange whose value is a LeaderChangeMessage (leader, voters). Used as the
/// <see cref="RaftNode"/>'s leader-change payload over <see cref="FileRaftLog"/>.
/// </summary>
public static class LeaderChangeBatch
{
    private const short MessageVersion = 0;

    public static ReadOnlyMemory<byte> Build(int leaderId, ImmutableArray<int> voters, long timestampMs)
    {
        var message = new LeaderChangeMessage
        {
            Version = MessageVersion,
            LeaderId = leaderId,
            Voters = [.. voters.Select(v => new LeaderChangeMessage.Voter { VoterId = v })],
            GrantingVoters = [],
        };
        var value = new byte[message.Size(MessageVersion)];
        var writer = new ProtocolWriter(value);
        message.Write(ref writer, MessageVersion);
        using var builder = new RecordBatchBuilder(256) { IsControl = true };
        builder.AppendControlRecord(timestampMs, ControlRecordType.LeaderChange, NullableBytes.Of(value));
        return builder.Build().ToArray();
    }
}
