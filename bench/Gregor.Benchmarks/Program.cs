using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Running;

namespace Gregor.Benchmarks;

public static class Program
{
    public static void Main(string[] args) =>
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args, DefaultConfig.Instance.AddColumn(AllocatedPerInvocationColumn.Instance));
}
