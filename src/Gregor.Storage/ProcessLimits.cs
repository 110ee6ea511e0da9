using System.Globalization;
using System.Runtime.InteropServices;

namespace Gregor.Storage;

/// <summary>The process's open-file limit before and after <see cref="ProcessLimits.RaiseOpenFileLimit"/>.</summary>
public readonly record struct OpenFileLimit(long SoftBefore, long Soft, long Hard)
{
    public bool Raised => Soft > SoftBefore;
}

/// <summary>
/// The operating system's limits on what the logs may hold: open descriptors (RLIMIT_NOFILE) and memory
/// mappings (Linux's vm.max_map_count; every mapped index is one).
/// </summary>
public static unsafe partial class ProcessLimits
{
    /// <summary>Linux's default vm.max_map_count, assumed where it cannot be read.</summary>
    public const int DefaultMaxMapCount = 65530;

    // rlim_t is 64 bits on every 64-bit Unix .NET runs on; "infinity" is all ones.
    [StructLayout(LayoutKind.Sequential)]
    private struct RLimit
    {
        public ulong Current;
        public ulong Maximum;
    }

    /// <summary>
    /// Raises the soft open-file limit to the hard limit, as the JVM does for Kafka (the .NET runtime does the
    /// same when it starts on Unix, so this usually finds nothing to do; a host that lowered it gets it back).
    /// macOS refuses more than OPEN_MAX (10240) whatever the hard limit says.
    /// </summary>
    public static OpenFileLimit RaiseOpenFileLimit()
    {
        if (!TryGetOpenFileLimit(out RLimit limit))
            return new OpenFileLimit(-1, -1, -1);
        long before = Clamp(limit.Current);
        ulong target = limit.Maximum;
        if (OperatingSystem.IsMacOS())
            target = Math.Min(target, 10240);
        if (target > limit.Current)
        {
            var raised = new RLimit { Current = target, Maximum = limit.Maximum };
            if (SetRLimit(OpenFilesResource, &raised) == 0)
                limit.Current = target;
        }
        return new OpenFileLimit(before, Clamp(limit.Current), Clamp(limit.Maximum));
    }

    /// <summary>The soft open-file limit, or -1 where there is none to read (Windows).</summary>
    public static long OpenFileSoftLimit() => TryGetOpenFileLimit(out RLimit limit) ? Clamp(limit.Current) : -1;

    /// <summary>The hard open-file limit (the most the soft one may be raised to), or -1 where there is none to read (Windows).</summary>
    public static long OpenFileHardLimit() => TryGetOpenFileLimit(out RLimit limit) ? Clamp(limit.Maximum) : -1;

    /// <summary>How many memory mappings a process may have (vm.max_map_count on Linux).</summary>
    public static int MaxMapCount()
    {
        try
        {
            string text = File.ReadAllText("/proc/sys/vm/max_map_count").Trim();
            return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int count) && count > 0 ? count : DefaultMaxMapCount;
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            return DefaultMaxMapCount;
        }
    }

    /// <summary>Descriptors this process has open now (Linux: the entries of /proc/self/fd), or -1.</summary>
    public static int OpenDescriptorCount()
    {
        try
        {
            return Directory.GetFiles("/proc/self/fd").Length;
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            return -1;
        }
    }

    private static int OpenFilesResource => OperatingSystem.IsLinux() ? 7 : 8; // RLIMIT_NOFILE: Linux 7, BSD/macOS 8

    private static bool TryGetOpenFileLimit(out RLimit limit)
    {
        limit = default;
        if (OperatingSystem.IsWindows())
            return false;
        fixed (RLimit* pointer = &limit)
            return GetRLimit(OpenFilesResource, pointer) == 0;
    }

    private static long Clamp(ulong value) => value > long.MaxValue ? long.MaxValue : (long)value;

    [LibraryImport("libc", EntryPoint = "getrlimit", SetLastError = true)]
    private static partial int GetRLimit(int resource, RLimit* limit);

    [LibraryImport("libc", EntryPoint = "setrlimit", SetLastError = true)]
    private static partial int SetRLimit(int resource, RLimit* limit);
}
