using Gregor.Broker.Configuration;

namespace Gregor.Broker.Tests.Configuration;

public sealed class JavaPropertiesTests
{
    private static Dictionary<string, string> Parse(string text) =>
        JavaProperties.Parse(text, "test.properties").ToDictionary(p => p.Key, p => p.Value);

    [Fact]
    public void Comments_blank_lines_and_both_separators()
    {
        var p = Parse("# a comment\n! another\n\n  node.id = 3\nlog.dirs: /var/data\r\nnum.partitions 4\n");
        Assert.Equal(3, p.Count);
        Assert.Equal("3", p["node.id"]);
        Assert.Equal("/var/data", p["log.dirs"]);
        Assert.Equal("4", p["num.partitions"]);
    }

    [Fact]
    public void Continuation_lines_join_without_their_leading_whitespace()
    {
        var p = Parse("listeners=PLAINTEXT://a:1,\\\n    OTHER://b:2\n");
        Assert.Equal("PLAINTEXT://a:1,OTHER://b:2", p["listeners"]);
    }

    [Fact]
    public void An_even_number_of_backslashes_does_not_continue()
    {
        var p = Parse("a=x\\\\\nb=y\n");
        Assert.Equal("x\\", p["a"]);
        Assert.Equal("y", p["b"]);
    }

    [Fact]
    public void Escapes_in_keys_and_values()
    {
        var p = Parse("my\\ key\\=x=tab\\there\\u0041\\:\n");
        Assert.Equal("tab\there" + "A:", p["my key=x"]);
    }

    [Fact]
    public void Empty_value_and_later_duplicate_wins_when_merged()
    {
        var entries = JavaProperties.Parse("a=\na=2\nb\n", "f");
        Assert.Equal(["a", "a", "b"], entries.Select(e => e.Key));
        Assert.Equal("2", entries[1].Value);
        Assert.Equal("", entries[2].Value);
    }

    [Fact]
    public void Malformed_unicode_escape_names_the_line()
    {
        var e = Assert.Throws<BrokerConfigException>(() => Parse("a=1\nb=\\u12\n"));
        Assert.Contains("line 2", e.Message, StringComparison.Ordinal);
    }
}
