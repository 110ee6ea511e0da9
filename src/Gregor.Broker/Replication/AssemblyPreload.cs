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

    /// <summary>
    /// Whose references are loaded too: the broker's own assemblies and the hosting stack (Kestrel loads some of its
    /// assemblies only as the server starts, after the logs are open). The framework's own closure is left alone:
    /// it is large, and what of it the broker uses is reached from these.
    /// </summary>
    private static bool IsFollowed(string? name) =>
        name is not null && (name.StartsWith("Gregor.", StringComparison.Ordinal)
            || name.StartsWith("Microsoft.AspNetCore.", StringComparison.Ordinal)
            || name.StartsWith("Microsoft.Extensions.", StringComparison.Ordinal));

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
                    if (IsFollowed(reference.Name))
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
