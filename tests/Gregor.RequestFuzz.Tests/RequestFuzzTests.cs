using System.Globalization;
using Xunit.Abstractions;

namespace Gregor.RequestFuzz.Tests;

/// <summary>
/// Mutated requests of every API the broker serves, over sockets, against a real in-process broker: no crash, no
/// error logged, the broker answers a valid request after every case, acknowledged data survives, and memory stays
/// within its budget. About a minute in the suite; see README.md for the long run and for replaying a finding.
/// </summary>
public sealed class RequestFuzzTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Mutated_requests_of_every_served_api_leave_the_broker_serving_within_its_budget()
    {
        var settings = FuzzSettings.FromEnvironment();
        FuzzReport report = await RequestFuzzer.RunAsync(settings);

        string summary = report.Summary();
        output.WriteLine(summary);
        if (settings.ReportPath is { } path)
            await File.AppendAllTextAsync(path, $"--- {DateTime.UtcNow.ToString("u", CultureInfo.InvariantCulture)}\n{summary}\n");
        Assert.True(report.Findings.Count == 0, summary);
        Assert.True(report.Cases > 0, "no case ran");
        if (!settings.IsReplay)
        {
            Assert.True(report.Acknowledged > 0, "the probe never produced");
            Assert.Empty(report.ServedButNeverAnswered);
        }
    }
}
