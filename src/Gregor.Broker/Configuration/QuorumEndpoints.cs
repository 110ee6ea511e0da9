namespace Gregor.Broker.Configuration;

/// <summary>One entry of <c>controller.quorum.voters</c>: <c>id@host:port</c>, a voter of the static metadata quorum.</summary>
public sealed record QuorumVoter(int Id, string Host, int Port);

/// <summary>One entry of <c>controller.quorum.bootstrap.servers</c>: <c>host:port</c> of a controller to ask for the quorum.</summary>
public sealed record QuorumBootstrapServer(string Host, int Port);
