using System.Reflection;
using Rampart.Core.Reporting;

namespace Rampart.Scanning;

/// <summary>Identity of this build of Rampart, for reports.</summary>
public static class RampartTool
{
    /// <summary>The environment variable that sets the base address of rule pages (a mirror, an intranet copy of docs/rules/).</summary>
    public const string DocsBaseVariable = "RAMPART_DOCS_BASE_URL";

    /// <summary>The same, under the name earlier releases read; still honoured.</summary>
    public const string LegacyDocsBaseVariable = "RAMPART_DOCS_BASE_URI";

    /// <summary>Where the rule pages ship: docs/rules/ beside the program (the tool package, the native build and the image carry them).</summary>
    public static string ShippedDocsFolder => Path.Combine(AppContext.BaseDirectory, "docs", "rules");

    private static readonly string Version =
        typeof(RampartTool).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";

    public static ToolInfo Info { get; } = new(
        "rampart",
        Version,
        new Uri("https://github.com/rampart-mlsecops/rampart"),
        ResolveDocsBase(Environment.GetEnvironmentVariable(DocsBaseVariable) ?? Environment.GetEnvironmentVariable(LegacyDocsBaseVariable)));

    /// <summary>
    /// The base address of rule pages: <paramref name="configured"/> when given (an absolute http(s) or file URL, or a
    /// folder path), else the pages shipped beside the program (a file URL, so reports open offline), else, for a lone
    /// program without its docs folder, the pages of this release's tag in the source repository. A relative folder
    /// is taken relative to <paramref name="baseDirectory"/> (default: the process's working folder).
    /// </summary>
    public static Uri ResolveDocsBase(string? configured, string? baseDirectory = null)
    {
        if (!string.IsNullOrWhiteSpace(configured))
        {
            var text = configured.Trim();
            if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https" or "file"))
            {
                uri = Uri.TryCreate(Path.GetFullPath(text, baseDirectory ?? Directory.GetCurrentDirectory()), UriKind.Absolute, out var file) ? file : throw new ArgumentException($"'{configured}' is neither an http(s) or file URL nor a folder path", nameof(configured));
            }

            return uri.AbsoluteUri.EndsWith('/') ? uri : new Uri(uri.AbsoluteUri + "/");
        }

        return Directory.Exists(ShippedDocsFolder)
            ? new Uri(ShippedDocsFolder.TrimEnd(Path.DirectorySeparatorChar) + Path.DirectorySeparatorChar)
            : new Uri($"https://github.com/rampart-mlsecops/rampart/blob/v{Version}/docs/rules/");
    }

    /// <summary>The embedded Markdown page of a rule (docs/rules/ID.md, embedded at build time), or null when none ships.</summary>
    public static string? RulePage(string ruleId)
    {
        ArgumentNullException.ThrowIfNull(ruleId);
        using var stream = typeof(RampartTool).Assembly.GetManifestResourceStream($"docs/rules/{ruleId}.md");
        if (stream is null)
        {
            return null;
        }

        return System.Text.Encoding.UTF8.GetString(Core.IO.BoundedFile.ReadAll(stream, ruleId + ".md", 1024 * 1024));
    }
}
