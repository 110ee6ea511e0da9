namespace Gregor.Storage;

/// <summary>One line of a leader-epoch checkpoint: the first offset written under <see cref="Epoch"/>.</summary>
public readonly record struct LeaderEpochEntry(int Epoch, long StartOffset);
