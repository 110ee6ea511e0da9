namespace Gregor.Broker.Configuration;

/// <summary>
/// Automatic preferred leader election on the active controller, under Kafka's names and defaults: every
/// <c>leader.imbalance.check.interval.seconds</c>, leadership goes back to each partition's first replica on the brokers
/// whose share of such partitions led elsewhere exceeds <c>leader.imbalance.per.broker.percentage</c>.
/// </summary>
public sealed record LeaderBalanceSettings
{
    /// <summary><c>auto.leader.rebalance.enable</c>.</summary>
    public bool Enabled { get; init; } = true;

    /// <summary><c>leader.imbalance.check.interval.seconds</c>.</summary>
    public long CheckIntervalSeconds { get; init; } = 300;

    /// <summary><c>leader.imbalance.per.broker.percentage</c>.</summary>
    public int PerBrokerPercentage { get; init; } = 10;

    internal static LeaderBalanceSettings Parse(IReadOnlyDictionary<string, string> given)
    {
        var settings = new LeaderBalanceSettings();
        if (given.TryGetValue(BrokerSettings.AutoLeaderRebalanceEnable, out string? v))
            settings = settings with { Enabled = SettingValue.Bool(BrokerSettings.AutoLeaderRebalanceEnable, v) };
        if (given.TryGetValue(BrokerSettings.LeaderImbalanceCheckIntervalSeconds, out v))
            settings = settings with { CheckIntervalSeconds = SettingValue.Long(BrokerSettings.LeaderImbalanceCheckIntervalSeconds, v, 1, 86_400) };
        if (given.TryGetValue(BrokerSettings.LeaderImbalancePerBrokerPercentage, out v))
            settings = settings with { PerBrokerPercentage = SettingValue.Int(BrokerSettings.LeaderImbalancePerBrokerPercentage, v, 0, 100) };
        return settings;
    }
}
