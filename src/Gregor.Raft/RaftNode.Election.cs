using Gregor.Protocol;

namespace Gregor.Raft;

/// <summary>Votes and pre-votes, asked and answered.</summary>
public sealed partial class RaftNode
{
    private readonly HashSet<int> _votesGranted = [];
    private readonly HashSet<int> _votesRejected = [];

    private void HandleVoteRequest(int source, VoteRequest request)
    {
        if (!_isVoter || !_voters.Contains(request.CandidateId) || request.CandidateId != source)
        {
            Send(source, new VoteResponse(ErrorCode.InconsistentVoterSet, _epoch, KnownLeaderId, false, request.PreVote));
            return;
        }
        bool logUpToDate = request.LastLogPosition >= LastLogPosition;
        if (request.PreVote)
        {
            // Changes nothing here. Refused while this node hears from a leader (so a returning node cannot
            // disrupt a healthy quorum), when the vote itself would be refused, or when the asker's log is behind.
            bool grant = request.CandidateEpoch >= _epoch
                && !HasLiveLeader()
                && (request.CandidateEpoch > _epoch || (_leaderId < 0 && (_votedId < 0 || _votedId == request.CandidateId)))
                && logUpToDate;
            Send(source, new VoteResponse(ErrorCode.None, _epoch, KnownLeaderId, grant, PreVote: true));
            return;
        }
        if (request.CandidateEpoch < _epoch)
        {
            Send(source, new VoteResponse(ErrorCode.FencedLeaderEpoch, _epoch, KnownLeaderId, false, PreVote: false));
            return;
        }
        if (request.CandidateEpoch > _epoch) TransitionToUnattached(request.CandidateEpoch);
        bool granted = _role is RaftRole.Unattached or RaftRole.Prospective
            && _leaderId < 0
            && (_votedId < 0 || _votedId == request.CandidateId)
            && logUpToDate;
        if (granted && _votedId != request.CandidateId)
        {
            ClearRoleState();
            _role = RaftRole.Unattached;
            _votedId = request.CandidateId;
            Persist();
            _electionDeadline = _now + RandomElectionTimeout();
        }
        Send(source, new VoteResponse(ErrorCode.None, _epoch, KnownLeaderId, granted, PreVote: false));
    }

    /// <summary>True while this node leads, or follows a leader it heard from within the fetch timeout.</summary>
    private bool HasLiveLeader() => _role == RaftRole.Leader
        || (_role == RaftRole.Follower && _now - _lastLeaderContact < _settings.FetchTimeoutMs);

    private void HandleVoteResponse(int source, VoteResponse response)
    {
        if (HandleEpochInResponse(source, response.Epoch, response.LeaderId)) return;
        if (response.Error != ErrorCode.None) return;
        bool counts = response.PreVote
            ? _role == RaftRole.Prospective && response.Epoch <= _epoch + 1
            : _role == RaftRole.Candidate && response.Epoch == _epoch;
        if (!counts || !_voters.Contains(source)) return;
        if (response.VoteGranted)
        {
            _votesRejected.Remove(source);
            _votesGranted.Add(source);
            if (_votesGranted.Count >= Majority)
            {
                if (_role == RaftRole.Prospective) TransitionToCandidate();
                else TransitionToLeader();
            }
        }
        else
        {
            _votesGranted.Remove(source);
            _votesRejected.Add(source);
            // Lost: try again after a random pause rather than at the full election timeout.
            if (_voters.Length - _votesRejected.Count < Majority)
                _electionDeadline = Math.Min(_electionDeadline, _now + RandomBackoff());
        }
    }

    private void HandleBeginQuorumEpoch(int source, BeginQuorumEpochRequest request)
    {
        if (request.Epoch < _epoch || request.LeaderId != source)
        {
            Send(source, new BeginQuorumEpochResponse(request.Epoch < _epoch ? ErrorCode.FencedLeaderEpoch : ErrorCode.InvalidRequest, _epoch, KnownLeaderId));
            return;
        }
        if (request.Epoch > _epoch || _role != RaftRole.Follower || _leaderId != request.LeaderId)
            TransitionToFollower(request.Epoch, request.LeaderId);
        _lastLeaderContact = _now;
        Send(source, new BeginQuorumEpochResponse(ErrorCode.None, _epoch, KnownLeaderId));
    }

    private void HandleEndQuorumEpoch(int source, EndQuorumEpochRequest request)
    {
        if (request.Epoch < _epoch)
        {
            Send(source, new EndQuorumEpochResponse(ErrorCode.FencedLeaderEpoch, _epoch, KnownLeaderId));
            return;
        }
        if (request.Epoch > _epoch)
        {
            TransitionToUnattached(request.Epoch);
        }
        else if (_role == RaftRole.Follower && _leaderId == request.LeaderId && _isVoter)
        {
            // The leader is going: the successor it named first stands at once, the others a little later.
            int position = request.PreferredSuccessors.ToList().IndexOf(_id);
            long wait = position == 0 ? 0 : RandomBackoff() + (position < 0 ? _settings.ElectionBackoffMaxMs : 0);
            _fetchDeadline = Math.Min(_fetchDeadline, _now + wait);
            _lastLeaderContact = long.MinValue / 2;
            if (wait == 0) TransitionToProspective();
        }
        Send(source, new EndQuorumEpochResponse(ErrorCode.None, _epoch, KnownLeaderId));
    }
}
