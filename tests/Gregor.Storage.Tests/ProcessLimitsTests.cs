using System.Runtime.InteropServices;

namespace Gregor.Storage.Tests;

/// <summary>The open-file limit is raised to the hard limit, as the JVM raises it for Kafka.</summary>
public sealed unsafe partial class ProcessLimitsTests
{
    [Fact]
    public void A_lowered_soft_open_file_limit_is_raised_to_the_hard_limit()
    {
        Assert.True(OperatingSystem.IsLinux(), "storage runs on Linux");
        RLimit original;
        Assert.Equal(0, GetRLimit(OpenFiles, &original));
        // Lowered, but not below what this test host has open (the other tests run meanwhile).
        ulong lowered = Math.Max((ulong)ProcessLimits.OpenDescriptorCount() + 64, original.Maximum / 2);
        Assert.True(lowered < original.Maximum, $"the hard limit {original.Maximum} leaves no room to lower the soft one");
        var low = new RLimit { Current = lowered, Maximum = original.Maximum };
        try
        {
            Assert.Equal(0, SetRLimit(OpenFiles, &low));
            OpenFileLimit limit = ProcessLimits.RaiseOpenFileLimit();
            Assert.Equal((long)lowered, limit.SoftBefore);
            Assert.Equal((long)original.Maximum, limit.Soft);
            Assert.True(limit.Raised);
            Assert.Equal((long)original.Maximum, ProcessLimits.OpenFileSoftLimit());
        }
        finally
        {
            Assert.Equal(0, SetRLimit(OpenFiles, &original));
        }
    }

    [Fact]
    public void The_budgets_are_half_of_the_process_limits()
    {
        var budgets = new StorageBudgets(1, 1);
        budgets.FitToProcessLimits();
        Assert.Equal(ProcessLimits.OpenFileSoftLimit() / 2, budgets.OpenFiles.Capacity);
        Assert.Equal(ProcessLimits.MaxMapCount() / 2, budgets.Mappings.Capacity);
        Assert.Equal(int.Parse(File.ReadAllText("/proc/sys/vm/max_map_count").Trim(), System.Globalization.CultureInfo.InvariantCulture), ProcessLimits.MaxMapCount());
    }

    private const int OpenFiles = 7; // RLIMIT_NOFILE on Linux

    [StructLayout(LayoutKind.Sequential)]
    private struct RLimit
    {
        public ulong Current;
        public ulong Maximum;
    }

    [LibraryImport("libc", EntryPoint = "getrlimit")]
    private static partial int GetRLimit(int resource, RLimit* limit);

    [LibraryImport("libc", EntryPoint = "setrlimit")]
    private static partial int SetRLimit(int resource, RLimit* limit);
}
