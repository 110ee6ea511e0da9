using System.Reflection;
using System.Runtime.InteropServices;
using Confluent.Kafka;

namespace ConfluentInterop;

/// <summary>
/// Makes Confluent.Kafka use the librdkafka that librdkafka.redist put in the build output, and proves it did.
/// </summary>
/// <remarks>
/// Left to itself, Confluent.Kafka binds its native methods through <c>DllImport("librdkafka")</c>. The
/// package's <c>runtimes/linux-x64/native/librdkafka.so</c> links libsasl2.so.3, which Debian does not
/// have (it has libsasl2.so.2), so that load fails and the runtime goes on down the default search path:
/// with Debian's librdkafka-dev installed it finds librdkafka.so 2.0.2 there, and the cases would test
/// that instead. So every library name Confluent.Kafka imports is resolved here to one bundled file,
/// tried in the order Confluent.Kafka itself prefers (the GSSAPI build, then <c>centos8-librdkafka.so</c>,
/// built without it), and <see cref="Library.Load(string)"/> gets the same path. Its dlopen goes through
/// <c>DllImport("libdl")</c>; glibc 2.34 and later ship only libdl.so.2, so that name is resolved too.
/// Then the reported version and the process's memory map must both show the bundled library alone.
/// </remarks>
internal static class BundledLibrdkafka
{
    /// <summary>The librdkafka.redist version Confluent.Kafka 2.16.0 depends on (Directory.Packages.props pins the client).</summary>
    public const string ExpectedVersionPrefix = "2.16.";

    public static string ClientVersion =>
        typeof(Library).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
        ?? typeof(Library).Assembly.GetName().Version?.ToString() ?? "?";

    /// <summary>The file <see cref="Load"/> loaded (null before).</summary>
    public static string? LoadedPath { get; private set; }

    public static string Load()
    {
        Interop.Check(RuntimeInformation.IsOSPlatform(OSPlatform.Linux), "the interop cases run on Linux only");
        Interop.Check(!Library.IsLoaded, "a librdkafka was loaded before the bundled one");
        string rid = "linux-" + RuntimeInformation.ProcessArchitecture.ToString().ToLowerInvariant();
        string folder = Path.Combine(AppContext.BaseDirectory, "runtimes", rid, "native");
        var tried = new List<string>();
        string? path = null;
        nint handle = 0;
        foreach (string candidate in new[] { "librdkafka.so", "centos8-librdkafka.so" }.Select(name => Path.GetFullPath(Path.Combine(folder, name))))
        {
            if (!File.Exists(candidate)) { tried.Add(candidate + ": missing"); continue; }
            try
            {
                handle = NativeLibrary.Load(candidate);
                path = candidate;
                break;
            }
            catch (DllNotFoundException failure)
            {
                tried.Add(candidate + ": " + failure.Message.Split('\n')[0]);
            }
        }
        Interop.Check(path is not null, $"no bundled librdkafka loads (is librdkafka.redist restored?): {string.Join("; ", tried)}");

        NativeLibrary.SetDllImportResolver(typeof(Library).Assembly, (name, _, _) => name switch
        {
            "librdkafka" or "centos8-librdkafka.so" or "alpine-librdkafka.so" => handle,
            "libdl" => NativeLibrary.TryLoad("libdl.so.2", out nint dl) || NativeLibrary.TryLoad("libc.so.6", out dl) ? dl : 0,
            _ => 0,
        });
        Library.Load(path);

        string version = Library.VersionString;
        Interop.Check(version.StartsWith(ExpectedVersionPrefix, StringComparison.Ordinal),
            $"librdkafka reports version {version}, expected {ExpectedVersionPrefix}x (the one librdkafka.redist bundles)");
        var mapped = File.ReadLines("/proc/self/maps")
            .Select(line => line.IndexOf('/', StringComparison.Ordinal) is var at and >= 0 ? line[at..] : "")
            .Where(file => Path.GetFileName(file).Contains("librdkafka", StringComparison.Ordinal))
            .Distinct(StringComparer.Ordinal).ToList();
        Interop.Check(mapped.Count == 1 && mapped[0] == path,
            $"librdkafka files mapped into the process: [{string.Join(", ", mapped)}]; expected only {path}");
        LoadedPath = path;
        return path!;
    }
}
