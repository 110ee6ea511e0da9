using System.Runtime.InteropServices;

namespace Gregor.Protocol.Compression;

/// <summary>
/// Loads a system compression library on first use, so a machine without it fails with a clear
/// message when that codec is asked for, not when the assembly or a type is loaded.
/// </summary>
internal static class NativeCodecLibrary
{
    /// <summary>
    /// Loads the first of <paramref name="fileNames"/> found by the platform's library search.
    /// Throws <see cref="DllNotFoundException"/> naming the library and the package that ships it.
    /// </summary>
    public static IntPtr Load(string codec, string debianPackage, params string[] fileNames)
    {
        foreach (string name in fileNames)
        {
            if (NativeLibrary.TryLoad(name, typeof(NativeCodecLibrary).Assembly, null, out IntPtr handle))
                return handle;
        }
        throw new DllNotFoundException(
            $"{codec} compression needs the native library {fileNames[0]}, which was not found. " +
            $"Install it (Debian/Ubuntu: apt-get install {debianPackage}).");
    }

    /// <summary>
    /// An exported function's address. A library too old to have it is as unusable as a missing
    /// one, and is reported the same way (<see cref="DllNotFoundException"/>), so callers that
    /// turn a missing codec into UNSUPPORTED_COMPRESSION_TYPE cover both.
    /// </summary>
    public static IntPtr Export(IntPtr library, string libraryName, string function)
    {
        if (NativeLibrary.TryGetExport(library, function, out IntPtr address))
            return address;
        throw new DllNotFoundException(
            $"The native library {libraryName} has no function {function}; a newer version is needed.");
    }
}
