namespace ConfluentInterop;
internal static class GroupCase { public static Task RunAsync(string[] args) => Task.CompletedTask; }
