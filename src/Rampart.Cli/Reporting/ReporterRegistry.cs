using Rampart.Core.Reporting;
using Rampart.Core.Reporting.CodeQuality;
using Rampart.Core.Reporting.Html;
using Rampart.Core.Reporting.Json;
using Rampart.Core.Reporting.Sarif;

namespace Rampart.Cli.Reporting;

/// <summary>How the command line wants a report rendered.</summary>
/// <param name="Color">Use colour (only for a terminal without NO_COLOR).</param>
/// <param name="Verbose">List clean and skipped artifacts and suppressed findings too.</param>
/// <param name="Width">Line width for the console format.</param>
/// <param name="BaseDirectory">Folder that SARIF paths are made relative to.</param>
internal sealed record ReporterOptions(bool Color, bool Verbose, int Width, string BaseDirectory);

/// <summary>The output formats: the values of --format come from this list and nowhere else.</summary>
internal static class ReporterRegistry
{
    public const string DefaultFormat = "console";

    private static readonly (string Format, Func<ReporterOptions, IReporter> Create)[] Registered =
    [
        ("console", options => new ConsoleReporter(options)),
        ("json", _ => new JsonReporter()),
        ("sarif", options => new SarifReporter(options.BaseDirectory)),
        ("html", _ => new HtmlReporter()),
        ("codequality", options => new CodeQualityReporter(options.BaseDirectory)),
    ];

    public static IReadOnlyList<string> Formats { get; } = [.. Registered.Select(r => r.Format)];

    public static IReporter Create(string format, ReporterOptions options)
    {
        foreach (var (name, create) in Registered)
        {
            if (string.Equals(name, format, StringComparison.OrdinalIgnoreCase))
            {
                return create(options);
            }
        }

        throw new UsageException($"unknown format '{format}' (use one of {string.Join(", ", Formats)})");
    }
}
