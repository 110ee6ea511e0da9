using System.Runtime.InteropServices;
using Confluent.Kafka;

namespace FaultProducer;

/// <summary>
/// Points Confluent.Kafka at the librdkafka 2.16 that librdkafka.redist put next to the program. Left alone it would
/// fall back to Debian's librdkafka 2.0.2 (the bundled default build needs libsasl2.so.3, which Debian lacks); see
/// tests/interop/README.md. The build without GSSAPI (centos8-librdkafka.so) loads here; its handle answers every
/// name Confluent.Kafka imports, and libdl resolves to glibc's libdl.so.2.
/// </summary>
internal static class Librdkafka
{
    public static string Load()
    {
        string folder = Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native");
        foreach (string name in new[] { "librdkafka.so", "centos8-librdkafka.so" })
        {
            string path = Path.Combine(folder, name);
            if (!File.Exists(path) || !NativeLibrary.TryLoad(path, out nint handle)) continue;
            NativeLibrary.SetDllImportResolver(typeof(Library).Assembly, (import, _, _) => import switch
            {
                "librdkafka" or "centos8-librdkafka.so" or "alpine-librdkafka.so" => handle,
                "libdl" => NativeLibrary.TryLoad("libdl.so.2", out nint dl) ? dl : 0,
                _ => 0,
            });
            Library.Load(path);
            if (!Library.VersionString.StartsWith("2.16.", StringComparison.Ordinal))
                throw new InvalidOperationException($"librdkafka {Library.VersionString} loaded from {path}, expected 2.16.x");
            return path;
        }
        throw new InvalidOperationException($"no bundled librdkafka loads from {folder}");
    }
}
