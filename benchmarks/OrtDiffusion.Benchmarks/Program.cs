using BenchmarkDotNet.Running;

namespace OrtDiffusion.Benchmarks;

/// <summary>Runs the benchmarks picked on the command line (see README: Benchmarks).</summary>
internal static class Program
{
    private static void Main(string[] args) => BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
}
