using System.Text;
using Gregor.Cli.Commands;
using Gregor.Client.Tests.Integration;

namespace Gregor.Cli.Tests;

public sealed class LineFormatTests
{
    private static string? Text(byte[]? bytes) => bytes is null ? null : Encoding.UTF8.GetString(bytes);

    [Fact]
    public void A_plain_line_is_the_value_and_has_no_key()
    {
        var message = LineFormat.ValueOnly.Parse("hello\tworld");
        Assert.Null(message.Key);
        Assert.Equal("hello\tworld", Text(message.Value));
        Assert.Null(message.Headers);
    }

    [Fact]
    public void Headers_come_first_then_the_key_then_the_value()
    {
        var format = LineFormat.ValueOnly with { ParseKey = true, KeySeparator = "=", ParseHeaders = true, NullMarker = "NULL" };
        var message = format.Parse("h1:v1,h2:,h3:NULL,h1:again\tk=v=w");
        Assert.Equal("k", Text(message.Key));
        Assert.Equal("v=w", Text(message.Value));
        Assert.Equal([("h1", "v1"), ("h2", ""), ("h3", null), ("h1", "again")],
            message.Headers!.Select(h => (h.Key, Text(h.GetValueBytes()))));
        var empty = format.Parse("\tNULL=NULL");
        Assert.Empty(empty.Headers!);
        Assert.Null(empty.Key);
        Assert.Null(empty.Value);
    }

    [Fact]
    public void Extra_headers_follow_the_lines_own()
    {
        var format = LineFormat.ValueOnly with { ParseHeaders = true, ExtraHeaders = [new("source", "cli")] };
        var message = format.Parse("a:1\tvalue");
        Assert.Equal(["a", "source"], message.Headers!.Select(h => h.Key));
        Assert.Equal(["source"], (LineFormat.ValueOnly with { ExtraHeaders = [new("source", "cli")] }).Parse("v").Headers!.Select(h => h.Key));
    }

    [Theory]
    [InlineData("no delimiter here", "headers delimiter")]
    [InlineData("novalue\tv", "has no key separator")]
    [InlineData(":x\tv", "empty key")]
    [InlineData("a:1\tno key separator", "no key separator ':'")]
    public void Malformed_lines_say_what_is_missing(string line, string expected)
    {
        var format = LineFormat.ValueOnly with { ParseKey = true, KeySeparator = ":", ParseHeaders = true };
        var error = Assert.Throws<FormatException>(() => format.Parse(line));
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Produce_reads_a_file_and_stops_at_a_malformed_line_with_exit_1()
    {
        await using var broker = await ClientTestBroker.StartAsync();
        string path = Path.Combine(Path.GetTempPath(), $"gregor-produce-{Guid.NewGuid():N}.txt");
        try
        {
            await File.WriteAllLinesAsync(path, ["a:1\tk1\tv1", "\tk2\tv2", "b:2\tk3\tv3"]);
            (await CliRun.RunAsync(broker.Bootstrap, "produce", "lines", "--file", path, "--partition", "0",
                "--property", "parse.headers=true", "--property", "parse.key=true")).AssertOk();
            var offsets = (await CliRun.RunAsync(broker.Bootstrap, "offsets", "lines", "-o", "json")).Json();
            Assert.Equal(3, offsets[0].GetProperty("latest").GetInt64());

            await File.WriteAllLinesAsync(path, ["k\tv", "no separator"]);
            (await CliRun.RunAsync(broker.Bootstrap, "produce", "lines", "--file", path, "--key-separator", "\\t"))
                .AssertFailed("no key separator");
            (await CliRun.RunAsync(broker.Bootstrap, "produce", "lines", "--file", path + ".missing")).AssertFailed("cannot read");
        }
        finally
        {
            File.Delete(path);
        }
    }
}
