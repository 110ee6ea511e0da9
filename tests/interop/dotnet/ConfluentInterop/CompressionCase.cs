namespace ConfluentInterop;
internal static class CompressionCase { public static Task RunAsync(string[] args) => Task.CompletedTask; }
