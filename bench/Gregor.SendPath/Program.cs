// Sends the bytes of a file (in the page cache) to a loopback client in three ways and reports, per way, the
// throughput and the sending process's CPU seconds per GB:
//   pipe      Kestrel's connection output: read the file into the pipe's blocks, flush every 1 MiB (the broker's path)
//   sendfile  Kestrel's socket taken from under it: sendfile(2) from the file to the socket, no copy through user space
//   read-send a plain socket loop: pread into one buffer, send it
// The client (this program with "client") runs as its own process and only counts bytes.
//
//   dotnet Gregor.SendPath.dll [--gigabytes N] [--rounds N] [--file-mb N]
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Win32.SafeHandles;

if (args.Length > 0 && args[0] == "client")
    return SendPathClient.Run(args);

double gigabytes = Option("--gigabytes", 4);
int rounds = (int)Option("--rounds", 3);
int fileMb = (int)Option("--file-mb", 256);
long total = (long)(gigabytes * 1e9);
string file = Path.Combine(Path.GetTempPath(), $"gregor-sendpath-{Environment.ProcessId}.bin");
try
{
    await using (var stream = File.Create(file))
    {
        var chunk = new byte[1 << 20];
        Random.Shared.NextBytes(chunk);
        for (int i = 0; i < fileMb; i++)
            stream.Write(chunk);
    }
    using SafeFileHandle handle = File.OpenHandle(file);
    long fileLength = RandomAccess.GetLength(handle);
    var source = new FileSource(handle, fileLength, total);

    var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
    builder.WebHost.UseKestrelCore();
    builder.Logging.ClearProviders();
    builder.Services.AddSingleton(source);
    // The broker's transport blocks: 256 KiB, pinned, reused (Kestrel's own are 4 KiB).
    builder.Services.AddSingleton<IMemoryPoolFactory<byte>, LargeBlockPoolFactory>();
    builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, l => l.UseConnectionHandler<SendHandler>()));
    await using var app = builder.Build();
    await app.StartAsync();
    int port = new Uri(app.Urls.First()).Port;

    Console.WriteLine($"== {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC; {Environment.ProcessorCount} cores; {gigabytes} GB per run from a {fileMb} MiB file in the page cache; .NET {Environment.Version}");
    Console.WriteLine($"{"way",-10} {"round",5} {"GB/s",7} {"server cpu s",13} {"cpu s/GB",9}");
    var results = new Dictionary<string, List<(double Rate, double CpuPerGb)>>();
    for (int round = 1; round <= rounds; round++)
    {
        foreach (string way in new[] { "pipe", "sendfile", "read-send" })
        {
            TimeSpan cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
            var clock = Stopwatch.StartNew();
            RunClient(port, way, total);
            double seconds = clock.Elapsed.TotalSeconds;
            double cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalSeconds;
            double rate = total / 1e9 / seconds, perGb = cpu / (total / 1e9);
            (results.TryGetValue(way, out var list) ? list : results[way] = []).Add((rate, perGb));
            Console.WriteLine($"{way,-10} {round,5} {rate,7:F2} {cpu,13:F2} {perGb,9:F3}");
        }
    }
    Console.WriteLine();
    Console.WriteLine($"{"way",-10} {"GB/s",7} {"cpu s/GB",9}   (medians; ratios against pipe: GB/s, cpu s/GB)");
    var pipe = results["pipe"];
    foreach (var (way, list) in results)
    {
        double rate = Median(list.Select(r => r.Rate)), perGb = Median(list.Select(r => r.CpuPerGb));
        Console.WriteLine($"{way,-10} {rate,7:F2} {perGb,9:F3}   {rate / Median(pipe.Select(r => r.Rate)),5:F2} {perGb / Median(pipe.Select(r => r.CpuPerGb)),5:F2}");
    }
    await app.StopAsync();
    return 0;
}
finally
{
    File.Delete(file);
}

double Option(string name, double fallback)
{
    int at = Array.IndexOf(args, name);
    return at >= 0 && at + 1 < args.Length ? double.Parse(args[at + 1], System.Globalization.CultureInfo.InvariantCulture) : fallback;
}

static double Median(IEnumerable<double> values)
{
    var sorted = values.Order().ToArray();
    return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
}

static void RunClient(int port, string way, long bytes)
{
    var start = new ProcessStartInfo("dotnet", [typeof(SendHandler).Assembly.Location, "client", port.ToString(), way, bytes.ToString()])
    {
        RedirectStandardOutput = true,
    };
    using var client = Process.Start(start)!;
    string output = client.StandardOutput.ReadToEnd();
    client.WaitForExit();
    if (client.ExitCode != 0 || !output.Contains("ok", StringComparison.Ordinal))
        throw new InvalidOperationException($"client for {way} failed: {output}");
}

/// <summary>256 KiB pinned blocks, kept for reuse, as the broker gives Kestrel.</summary>
internal sealed class LargeBlockPoolFactory : IMemoryPoolFactory<byte>
{
    public System.Buffers.MemoryPool<byte> Create(MemoryPoolOptions? options = null) => new LargeBlockPool();

    private sealed class LargeBlockPool : System.Buffers.MemoryPool<byte>
    {
        private const int Size = 256 * 1024;
        private readonly System.Collections.Concurrent.ConcurrentQueue<Block> _idle = new();

        public override int MaxBufferSize => Size;

        public override System.Buffers.IMemoryOwner<byte> Rent(int minBufferSize = -1) => _idle.TryDequeue(out Block? block) ? block : new Block(this);

        protected override void Dispose(bool disposing) => _idle.Clear();

        private sealed class Block(LargeBlockPool pool) : System.Buffers.IMemoryOwner<byte>
        {
            public Memory<byte> Memory { get; } = GC.AllocateUninitializedArray<byte>(Size, pinned: true);

            public void Dispose() => pool._idle.Enqueue(this);
        }
    }
}

/// <summary>The file to send and how many bytes each connection gets (the file over and over).</summary>
internal sealed record FileSource(SafeFileHandle Handle, long Length, long BytesPerConnection);

/// <summary>Reads the way from the client's first byte, then sends the file's bytes that way.</summary>
internal sealed partial class SendHandler(FileSource source) : ConnectionHandler
{
    public override async Task OnConnectedAsync(ConnectionContext connection)
    {
        var read = await connection.Transport.Input.ReadAsync();
        byte way = read.Buffer.FirstSpan[0];
        connection.Transport.Input.AdvanceTo(read.Buffer.GetPosition(1));
        switch (way)
        {
            case (byte)'p': await ThroughPipeAsync(connection); break;
            case (byte)'s': SendFile(connection.Features.Get<IConnectionSocketFeature>()!.Socket); break;
            case (byte)'r': ReadSend(connection.Features.Get<IConnectionSocketFeature>()!.Socket); break;
        }
    }

    private const int FlushEveryBytes = 1024 * 1024;

    private async Task ThroughPipeAsync(ConnectionContext connection)
    {
        var output = connection.Transport.Output;
        long sent = 0, unflushed = 0;
        while (sent < source.BytesPerConnection)
        {
            Memory<byte> block = output.GetMemory();
            long at = sent % source.Length;
            int step = (int)Math.Min(Math.Min(block.Length, source.BytesPerConnection - sent), source.Length - at);
            int got = RandomAccess.Read(source.Handle, block.Span[..step], at);
            output.Advance(got);
            sent += got;
            unflushed += got;
            // As the broker's response writer: a flush per megabyte, and at the end.
            if (unflushed >= FlushEveryBytes || sent == source.BytesPerConnection)
            {
                unflushed = 0;
                await output.FlushAsync();
            }
        }
    }

    private void SendFile(Socket socket)
    {
        // Kestrel's socket stays non-blocking underneath (its async operations made it so): when the socket buffer is
        // full, sendfile says EAGAIN and the sender must wait for room. .NET has no asynchronous wait for writability,
        // so this waits with poll(2) on the calling thread, as a sendfile path in the broker would have to.
        long sent = 0;
        int fd = (int)source.Handle.DangerousGetHandle();
        while (sent < source.BytesPerConnection)
        {
            long at = sent % source.Length;
            long offset = at;
            nint step = (nint)Math.Min(Math.Min(1 << 30, source.BytesPerConnection - sent), source.Length - at);
            nint got = Native.SendFile((int)socket.Handle, fd, ref offset, step);
            if (got < 0 && Marshal.GetLastPInvokeError() == EAgain)
            {
                socket.Poll(-1, SelectMode.SelectWrite);
                continue;
            }
            if (got <= 0)
                throw new IOException($"sendfile failed: errno {Marshal.GetLastPInvokeError()}");
            sent += got;
        }
    }

    private const int EAgain = 11;

    private void ReadSend(Socket socket)
    {
        socket.Blocking = true; // .NET's Send waits for room itself
        byte[] buffer = GC.AllocateUninitializedArray<byte>(256 * 1024, pinned: true);
        long sent = 0;
        while (sent < source.BytesPerConnection)
        {
            long at = sent % source.Length;
            int step = (int)Math.Min(Math.Min(buffer.Length, source.BytesPerConnection - sent), source.Length - at);
            int got = RandomAccess.Read(source.Handle, buffer.AsSpan(0, step), at);
            int off = 0;
            while (off < got)
                off += socket.Send(buffer, off, got - off, SocketFlags.None);
            sent += got;
        }
    }

    private static partial class Native
    {
        [LibraryImport("libc", EntryPoint = "sendfile64", SetLastError = true)]
        public static partial nint SendFile(int outFd, int inFd, ref long offset, nint count);
    }
}

/// <summary>The receiving end: sends the way's letter, then reads and drops bytes until it has them all.</summary>
internal static class SendPathClient
{
    public static int Run(string[] args)
    {
        int port = int.Parse(args[1]);
        byte way = (byte)args[2][0];
        long bytes = long.Parse(args[3]);
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Connect(IPAddress.Loopback, port);
        socket.Send([way]);
        byte[] buffer = new byte[1 << 20];
        long received = 0;
        while (received < bytes)
        {
            int n = socket.Receive(buffer);
            if (n == 0) break;
            received += n;
        }
        Console.WriteLine(received == bytes ? "ok" : $"short: {received} of {bytes}");
        return received == bytes ? 0 : 1;
    }
}
