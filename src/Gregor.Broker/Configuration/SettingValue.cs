using System.Globalization;

namespace Gregor.Broker.Configuration;

/// <summary>Typed reading of one setting's text, with the setting's name in every error.</summary>
internal static class SettingValue
{
    public static int Int(string name, string value, int min, int max = int.MaxValue)
    {
        if (!int.TryParse(value.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int result))
            throw BrokerConfigException.InvalidValue(name, value, "not a 32-bit integer");
        return InRange(name, value, result, min, max);
    }

    public static long Long(string name, string value, long min, long max = long.MaxValue)
    {
        if (!long.TryParse(value.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long result))
            throw BrokerConfigException.InvalidValue(name, value, "not a 64-bit integer");
        return InRange(name, value, result, min, max);
    }

    public static bool Bool(string name, string value) => value.Trim().ToUpperInvariant() switch
    {
        "TRUE" => true,
        "FALSE" => false,
        _ => throw BrokerConfigException.InvalidValue(name, value, "expected true or false"),
    };

    private static T InRange<T>(string name, string value, T result, T min, T max) where T : struct, IComparable<T>
    {
        if (result.CompareTo(min) < 0 || result.CompareTo(max) > 0)
        {
            string range = max.Equals(MaxOf<T>()) ? $"at least {min}" : $"between {min} and {max}";
            throw BrokerConfigException.InvalidValue(name, value, "must be " + range);
        }
        return result;
    }

    private static T MaxOf<T>() where T : struct =>
        typeof(T) == typeof(int) ? (T)(object)int.MaxValue : (T)(object)long.MaxValue;
}
