namespace ConfluentInterop;
internal static class AdminCase { public static Task RunAsync(string[] args) => Task.CompletedTask; }
