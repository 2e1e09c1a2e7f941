using Rampart.Scanning.Engine;

namespace Rampart.Scanning.Analyzers.Dependencies;

/// <summary>The scanner behind `rampart audit`: only the dependency analyzers, same engine, rules and reports as `rampart scan`.</summary>
public static class DependencyScanner
{
    public static Scanner Create(TimeProvider? time = null) =>
        new([new ManifestAnalyzer()], AnalyzerRegistry.Rules, RampartTool.Info, time)
        {
            FolderAnalyzers = [new EnvironmentAnalyzer()],
            JudgesModelFiles = false,
        };
}
