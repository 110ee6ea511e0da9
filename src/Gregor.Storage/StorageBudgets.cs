namespace Gregor.Storage;

/// <summary>
/// The budgets the logs of one process share: log files held open and index files held mapped. Each is half of
/// what the operating system allows the process (RLIMIT_NOFILE, vm.max_map_count); the other half is left to
/// connections, the runtime and short-lived opens (checkpoints, flushes of unmapped indexes, directory syncs).
/// Past a budget, the least recently used idle files are closed or unmapped and reopened on their next use, so
/// the number of partitions a broker can serve is not bounded by either limit.
/// </summary>
public sealed class StorageBudgets
{
    /// <summary>The smallest budget; below it logs would only thrash.</summary>
    public const int Minimum = 16;

    public StorageBudgets(int openFiles, int mappings)
    {
        OpenFiles = new ResourceBudget("open log files", Math.Max(Minimum, openFiles));
        Mappings = new ResourceBudget("mapped index files", Math.Max(Minimum, mappings));
    }

    /// <summary>The budgets every log uses unless it is given others.</summary>
    public static StorageBudgets Shared { get; } = new(OpenFilesShare(ProcessLimits.OpenFileSoftLimit()), MappingsShare(ProcessLimits.MaxMapCount()));

    /// <summary>Descriptors of <c>.log</c> files held open.</summary>
    public ResourceBudget OpenFiles { get; }

    /// <summary>Index files held mapped (each mapping holds no descriptor).</summary>
    public ResourceBudget Mappings { get; }

    /// <summary>Sets both budgets from the process's limits as they are now (after <see cref="ProcessLimits.RaiseOpenFileLimit"/>).</summary>
    public void FitToProcessLimits()
    {
        OpenFiles.Capacity = Math.Max(Minimum, OpenFilesShare(ProcessLimits.OpenFileSoftLimit()));
        Mappings.Capacity = Math.Max(Minimum, MappingsShare(ProcessLimits.MaxMapCount()));
    }

    /// <summary>Half the soft limit; a process without one (Windows) gets a budget no broker reaches.</summary>
    private static int OpenFilesShare(long softLimit) =>
        softLimit <= 0 ? 1 << 20 : (int)Math.Min(int.MaxValue, softLimit / 2);

    private static int MappingsShare(int maxMapCount) => maxMapCount / 2;

    public override string ToString() => $"{OpenFiles}, {Mappings}";
}
