using System.Globalization;

namespace Gregor.RequestFuzz.Tests;

/// <summary>
/// What a run does, from the environment: <c>GREGOR_FUZZ_SECONDS</c> (default 60: the suite's run; 1800+ for a
/// long run), <c>GREGOR_FUZZ_SEED</c> (default: a new one, printed), <c>GREGOR_FUZZ_CASES</c> (<c>N</c> or <c>N-M</c>:
/// replay those cases of the seed and nothing else), <c>GREGOR_FUZZ_REPORT</c> (a file the summary is appended to).
/// </summary>
internal sealed record FuzzSettings(TimeSpan Duration, int Seed, int FirstCase, int LastCase, string? ReportPath)
{
    public bool IsReplay => LastCase != int.MaxValue;

    public static FuzzSettings FromEnvironment()
    {
        int seconds = Int("GREGOR_FUZZ_SECONDS") ?? 60;
        int seed = Int("GREGOR_FUZZ_SEED") ?? Random.Shared.Next();
        int first = 0, last = int.MaxValue;
        if (Environment.GetEnvironmentVariable("GREGOR_FUZZ_CASES") is { Length: > 0 } cases)
        {
            string[] ends = cases.Split('-', 2);
            first = int.Parse(ends[0], CultureInfo.InvariantCulture);
            last = ends.Length == 2 ? int.Parse(ends[1], CultureInfo.InvariantCulture) : first;
        }
        return new FuzzSettings(TimeSpan.FromSeconds(seconds), seed, first, last, Environment.GetEnvironmentVariable("GREGOR_FUZZ_REPORT"));
    }

    private static int? Int(string name) =>
        Environment.GetEnvironmentVariable(name) is { Length: > 0 } text ? int.Parse(text, CultureInfo.InvariantCulture) : null;
}
