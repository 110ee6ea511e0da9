using WireErrorCode = Gregor.Protocol.ErrorCode;

namespace Gregor.Client.Tests;

public sealed class ErrorTests
{
    [Fact]
    public void Every_wire_error_code_has_a_client_code_of_the_same_number_and_name()
    {
        foreach (WireErrorCode wire in Enum.GetValues<WireErrorCode>())
        {
            ErrorCode client = wire.ToClientErrorCode();
            Assert.True(Enum.IsDefined(client), $"{wire} has no client code");
            Assert.Equal((int)wire, (int)client);
            string expected = wire switch { WireErrorCode.None => "NoError", WireErrorCode.UnknownServerError => "Unknown", _ => wire.ToString() };
            Assert.Equal(expected, client.ToString());
            Assert.Equal(wire, client.ToWireErrorCode());
        }
    }

    [Fact]
    public void Local_codes_use_librdkafkas_numbers_and_never_reach_the_wire()
    {
        Assert.Equal(-192, (int)ErrorCode.Local_MsgTimedOut);
        Assert.Equal(-195, (int)ErrorCode.Local_Transport);
        Assert.Equal(-191, (int)ErrorCode.Local_PartitionEOF);
        Assert.Equal(-162, (int)ErrorCode.Local_KeySerialization);
        Assert.True(ErrorCode.Local_MsgTimedOut.IsLocal());
        Assert.Null(ErrorCode.Local_MsgTimedOut.ToWireErrorCode());
        Assert.False(ErrorCode.NotLeaderOrFollower.IsLocal());
    }

    [Fact]
    public void Error_describes_itself_and_knows_retriability()
    {
        var notLeader = new Error(ErrorCode.NotLeaderOrFollower);
        Assert.True(notLeader.IsError);
        Assert.True(notLeader.IsBrokerError);
        Assert.True(notLeader.IsRetriable);
        Assert.Equal("Broker: NOT_LEADER_OR_FOLLOWER", notLeader.Reason);
        Assert.False(new Error(ErrorCode.TopicAlreadyExists).IsRetriable);
        Assert.False(new Error(ErrorCode.NoError).IsError);
        Assert.True(new Error(ErrorCode.Local_Transport).IsRetriable);
        Assert.Equal("Local: Message timed out", new KafkaException(ErrorCode.Local_MsgTimedOut).Message);
    }
}
