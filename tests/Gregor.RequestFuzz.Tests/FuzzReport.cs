using System.Globalization;
using System.Text;
using Gregor.Protocol;

namespace Gregor.RequestFuzz.Tests;

/// <summary>One problem the fuzzer saw, with what it takes to send the same bytes again.</summary>
internal sealed record Finding(int Case, string Api, string Origin, string Mutations, string Problem, string PayloadHex, int SizePrefix);

/// <summary>What a run did and found: per API the cases and their outcomes, the findings, and the memory figures.</summary>
internal sealed class FuzzReport(int seed, int corpusSize, IReadOnlyList<ServedApi> served)
{
    private const int MaxHexBytes = 2048;
    private readonly SortedDictionary<string, int[]> _byApi = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _warnings = new(StringComparer.Ordinal);

    public int Seed { get; } = seed;

    public int Cases { get; private set; }

    public TimeSpan Elapsed { get; set; }

    public List<Finding> Findings { get; } = [];

    public long MaxCaseAllocation { get; private set; }

    public string MaxCaseAllocationAt { get; private set; } = "";

    public long PeakRssGrowth { get; private set; }

    public long RetainedHeapGrowth { get; set; }

    public long Acknowledged { get; set; }

    public int TopicsSwept { get; set; }

    /// <summary>Served APIs no case got an answer from: the fuzzer did not reach their handlers.</summary>
    public IEnumerable<string> ServedButNeverAnswered =>
        served.Select(s => ((ApiKey)s.ApiKey).ToString()).Where(api => !_byApi.TryGetValue(api, out var c) || c[(int)Outcome.Answered] == 0);

    /// <summary>Keys the broker has no handler for are one row: what matters is that each was refused.</summary>
    private string ApiName(short key) => served.Any(s => s.ApiKey == key) ? ((ApiKey)key).ToString() : "(APIs not served)";

    public void Record(FuzzCase c, Outcome outcome, long allocated)
    {
        Cases++;
        string api = ApiName(c.ApiKey);
        if (!_byApi.TryGetValue(api, out var counts)) _byApi[api] = counts = new int[3];
        counts[(int)outcome]++;
        if (allocated > MaxCaseAllocation)
        {
            MaxCaseAllocation = allocated;
            MaxCaseAllocationAt = $"case {c.Index} ({api} v{c.ApiVersion}, {c.Payload.Length} B, from {c.Seed.Origin}; {c.Mutations})";
        }
    }

    public void SampleRssGrowth(long growth) => PeakRssGrowth = Math.Max(PeakRssGrowth, growth);

    public void CountWarning(string kind) => _warnings[kind] = _warnings.GetValueOrDefault(kind) + 1;

    public void Find(FuzzCase c, string problem) =>
        Findings.Add(new Finding(c.Index, $"API key {c.ApiKey} v{c.ApiVersion}", c.Seed.Origin, c.Mutations, problem,
            Convert.ToHexString(c.Payload.AsSpan(0, Math.Min(c.Payload.Length, MaxHexBytes))) + (c.Payload.Length > MaxHexBytes ? "..." : ""), c.SizePrefix));

    public string Summary()
    {
        var s = new StringBuilder();
        s.Append(CultureInfo.InvariantCulture, $"request fuzzing: seed {Seed}, {Cases} cases in {Elapsed.TotalSeconds:F0} s ({Cases / Math.Max(1, Elapsed.TotalSeconds):F0}/s), corpus of {corpusSize} frames\n");
        s.Append(CultureInfo.InvariantCulture, $"replay: GREGOR_FUZZ_SEED={Seed} GREGOR_FUZZ_CASES=<case or first-last>\n");
        s.Append("api                       cases  answered    closed  no answer\n");
        foreach (var (api, c) in _byApi)
            s.Append(CultureInfo.InvariantCulture, $"{api,-24} {c.Sum(),6} {c[0],9} {c[1],9} {c[2],10}\n");
        foreach (var (kind, count) in _warnings.OrderByDescending(w => w.Value))
            s.Append(CultureInfo.InvariantCulture, $"broker warnings: {count} x {kind}\n");
        s.Append(CultureInfo.InvariantCulture, $"largest allocation in one case: {MaxCaseAllocation / 1024.0 / 1024:F1} MiB at {MaxCaseAllocationAt}\n");
        s.Append(CultureInfo.InvariantCulture, $"peak RSS over the start: {PeakRssGrowth / 1024.0 / 1024:F0} MiB; managed heap after the run and a full GC, over the start: {RetainedHeapGrowth / 1024.0 / 1024:F1} MiB\n");
        s.Append(CultureInfo.InvariantCulture, $"records acknowledged (acks=all) during the run and read back after it: {Acknowledged}; fuzz-created topics swept: {TopicsSwept}\n");
        s.Append(CultureInfo.InvariantCulture, $"findings: {Findings.Count}\n");
        foreach (var group in Findings.GroupBy(f => Signature(f.Problem)).Take(20))
        {
            var f = group.First();
            s.Append(CultureInfo.InvariantCulture, $"- {group.Count()} x {f.Problem}\n  first at case {f.Case}: {f.Api} from {f.Origin}; mutations: {f.Mutations}; size prefix {f.SizePrefix}\n  payload {f.PayloadHex}\n");
        }
        return s.ToString();
    }

    /// <summary>Findings that differ only in numbers (ports, ids, offsets) are the same problem.</summary>
    private static string Signature(string problem) => new(problem.Where(ch => !char.IsDigit(ch)).Take(160).ToArray());
}
