using BenchmarkDotNet.Running;

namespace Rampart.Benchmarks;

/// <summary>Runs the in-process benchmarks: <c>dotnet run -c Release --project bench/Rampart.Benchmarks -- --filter '*'</c>.</summary>
public static class Program
{
    public static void Main(string[] args) => BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
}
