namespace Gregor.Broker.Configuration;

/// <summary>
/// A setting the broker cannot start with: an unknown name, a value of the wrong type or range, a
/// listener it cannot parse. The message names the setting and the value so the operator can fix it.
/// </summary>
public sealed class BrokerConfigException : Exception
{
    public BrokerConfigException(string message) : base(message) { }

    public BrokerConfigException(string message, Exception inner) : base(message, inner) { }

    public BrokerConfigException() { }

    public static BrokerConfigException InvalidValue(string name, string value, string reason) =>
        new($"Invalid value '{value}' for setting '{name}': {reason}.");
}
