using System.Reflection;

namespace Gregor.Broker.Replication;

/// <summary>
/// Loads, once per process, the assemblies the broker's own assemblies reference, and those the runtime loads to
/// format a stack trace. The .NET
/// runtime holds descriptors for each loaded assembly, so one first loaded late — on a rare error path, a codec's
/// first use — needs descriptors at a moment when the process may have none left, and fails with EMFILE (the
/// failure that once kept a broker from starting again). Loaded before the logs are opened, none is needed later.
/// </summary>
internal static class AssemblyPreload
{
    private static int _done;

    /// <summary>Returns how many assemblies were loaded (0 after the first call).</summary>
    public static int LoadReferencedAssemblies()
    {
        if (Interlocked.Exchange(ref _done, 1) != 0)
            return 0;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Stack<Assembly>();
        foreach (Assembly? root in (ReadOnlySpan<Assembly?>)[Assembly.GetEntryAssembly(), typeof(AssemblyPreload).Assembly])
        {
            if (root is not null && seen.Add(root.FullName ?? root.GetName().Name ?? ""))
                pending.Push(root);
        }
        int loaded = 0;
        while (pending.TryPop(out Assembly? assembly))
        {
            foreach (AssemblyName reference in assembly.GetReferencedAssemblies())
            {
                if (!seen.Add(reference.FullName))
                    continue;
                try
                {
                    Assembly referenced = Assembly.Load(reference);
                    loaded++;
                    // The broker's own assemblies are followed further; a library's own dependencies load when they are used, at start.
                    if (reference.Name?.StartsWith("Gregor.", StringComparison.Ordinal) == true)
                        pending.Push(referenced);
                }
                catch (Exception error) when (error is FileNotFoundException or FileLoadException or BadImageFormatException)
                {
                    // A reference of a path this process never takes (another platform's facade, say): nothing to hold.
                }
            }
        }
        // Formatting a stack trace loads what the runtime reads file and line numbers with: errors are logged this way.
        try
        {
            throw new InvalidOperationException("preload");
        }
        catch (InvalidOperationException error)
        {
            _ = error.ToString();
        }
        return loaded;
    }
}
