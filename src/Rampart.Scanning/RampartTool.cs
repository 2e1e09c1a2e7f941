using System.Reflection;
using Rampart.Core.Reporting;

namespace Rampart.Scanning;

/// <summary>Identity of this build of Rampart, for reports.</summary>
public static class RampartTool
{
    /// <summary>Where rule documentation pages are published; RAMPART_DOCS_BASE_URI overrides it (for forks and mirrors).</summary>
    public const string DefaultDocsBaseUri = "https://github.com/rampart-mlsecops/rampart/blob/main/docs/rules/";

    public static ToolInfo Info { get; } = new(
        "rampart",
        typeof(RampartTool).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0",
        new Uri("https://github.com/rampart-mlsecops/rampart"),
        new Uri(Environment.GetEnvironmentVariable("RAMPART_DOCS_BASE_URI") is { Length: > 0 } custom
            ? (custom.EndsWith('/') ? custom : custom + "/")
            : DefaultDocsBaseUri));
}
