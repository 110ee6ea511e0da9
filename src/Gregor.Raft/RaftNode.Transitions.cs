namespace Gregor.Raft;

/// <summary>The state changes. Each persists the quorum state first, so nothing queued afterwards can outrun it.</summary>
public sealed partial class RaftNode
{
    private void Start(QuorumStateData stored)
    {
        _epoch = stored.Epoch;
        _votedId = stored.VotedId;
        _leaderId = stored.LeaderId;
        if (_voters is [var only] && only == _id)
        {
            // A quorum of one needs nobody's vote: stand at once.
            TransitionToCandidate();
            return;
        }
        if (stored.LeaderId == _id)
        {
            // It led this epoch before the restart and cannot know what it had acknowledged: it gives the epoch up.
            _role = RaftRole.Resigned;
            _leaderId = _id;
            _electionDeadline = _now + RandomElectionTimeout();
            SendEndQuorumEpoch([]);
            return;
        }
        if (stored.LeaderId >= 0)
        {
            TransitionToFollower(stored.Epoch, stored.LeaderId);
            return;
        }
        _role = RaftRole.Unattached;
        _electionDeadline = _isVoter ? _now + RandomElectionTimeout() : long.MaxValue;
    }

    /// <summary>The leader of this epoch that this node stopped following, or −1.</summary>
    private int _abandonedLeaderId = -1;

    private void Persist() => _store.Write(new QuorumStateData(_epoch, _votedId, _leaderId));

    private void ClearRoleState()
    {
        ClearLeaderState();
        ClearFollowerState();
        _votesGranted.Clear();
        _votesRejected.Clear();
        _electionDeadline = long.MaxValue;
    }

    /// <summary>A newer epoch with no known leader (or a vote request for it): no vote, no leader yet.</summary>
    private void TransitionToUnattached(int epoch)
    {
        if (epoch <= _epoch) throw new InvalidOperationException($"unattached at epoch {epoch} from {_epoch}");
        ClearRoleState();
        _role = RaftRole.Unattached;
        _epoch = epoch;
        _abandonedLeaderId = -1;
        _votedId = -1;
        _leaderId = -1;
        Persist();
        _electionDeadline = _isVoter ? _now + RandomElectionTimeout() : long.MaxValue;
        if (!_isVoter) MaybeSendDiscoveryFetch();
    }

    private void TransitionToFollower(int epoch, int leaderId)
    {
        if (epoch < _epoch) throw new InvalidOperationException($"follower at epoch {epoch} from {_epoch}");
        if (leaderId == _id) throw new InvalidOperationException($"node {_id} told to follow itself in epoch {epoch}");
        if (_role == RaftRole.Leader && epoch == _epoch)
            throw new InvalidOperationException($"two leaders in epoch {epoch}: {_id} and {leaderId}");
        ClearRoleState();
        if (epoch > _epoch)
        {
            _votedId = -1;
            _abandonedLeaderId = -1;
        }
        _role = RaftRole.Follower;
        _epoch = epoch;
        _leaderId = leaderId;
        Persist();
        _fetchDeadline = _now + _settings.FetchTimeoutMs;
        MaybeSendFetch();
    }

    /// <summary>Pre-vote (KIP-996): asks the voters whether they would vote for it, without bumping the epoch.</summary>
    private void TransitionToProspective()
    {
        if (!_isVoter) throw new InvalidOperationException($"observer {_id} cannot stand for election");
        ClearRoleState();
        _role = RaftRole.Prospective;
        if (_leaderId >= 0)
        {
            // Leaderless in this epoch from now on; the vote of this epoch, if any, stays. Other voters may still
            // name the lost leader for a while: only the leader itself can bring this node back to it.
            _abandonedLeaderId = _leaderId;
            _leaderId = -1;
            Persist();
        }
        _votesGranted.Add(_id);
        _electionDeadline = _now + RandomElectionTimeout();
        if (_votesGranted.Count >= Majority)
        {
            TransitionToCandidate();
            return;
        }
        var request = new VoteRequest(_epoch + 1, _id, LastLogPosition, PreVote: true);
        foreach (int voter in _voters)
            if (voter != _id) Send(voter, request);
    }

    private void TransitionToCandidate()
    {
        ClearRoleState();
        _role = RaftRole.Candidate;
        _epoch++;
        _abandonedLeaderId = -1;
        _votedId = _id;
        _leaderId = -1;
        Persist();
        _votesGranted.Add(_id);
        _electionDeadline = _now + RandomElectionTimeout();
        if (_votesGranted.Count >= Majority)
        {
            TransitionToLeader();
            return;
        }
        var request = new VoteRequest(_epoch, _id, LastLogPosition, PreVote: false);
        foreach (int voter in _voters)
            if (voter != _id) Send(voter, request);
    }

    private void TransitionToLeader()
    {
        if (_role != RaftRole.Candidate) throw new InvalidOperationException($"only a candidate becomes leader, not a {_role}");
        ClearRoleState();
        _role = RaftRole.Leader;
        _leaderId = _id;
        Persist();
        StartLeading();
    }

    private void TransitionToResigned()
    {
        var successors = PreferredSuccessors();
        ClearRoleState();
        _role = RaftRole.Resigned;
        _electionDeadline = _now + RandomElectionTimeout();
        SendEndQuorumEpoch(successors);
    }

    private void SendEndQuorumEpoch(IReadOnlyList<int> successors)
    {
        var request = new EndQuorumEpochRequest(_epoch, _id, successors);
        foreach (int voter in _voters)
            if (voter != _id) Send(voter, request);
    }

    /// <summary>
    /// Any message naming a newer epoch moves this node to it, following the leader it names if any; one naming
    /// the leader of the current epoch makes a leaderless node follow it — unless it is the leader this node gave
    /// up on and the message is only another node's word for it. Returns true when the state changed.
    /// </summary>
    private bool HandleEpochInResponse(int source, int epoch, int leaderId)
    {
        if (epoch > _epoch)
        {
            if (leaderId >= 0 && leaderId != _id) TransitionToFollower(epoch, leaderId);
            else TransitionToUnattached(epoch);
            return true;
        }
        if (epoch == _epoch && leaderId >= 0 && leaderId != _id && _leaderId < 0
            && (leaderId != _abandonedLeaderId || source == leaderId)
            && _role is RaftRole.Unattached or RaftRole.Prospective or RaftRole.Candidate)
        {
            TransitionToFollower(epoch, leaderId);
            return true;
        }
        return false;
    }
}
