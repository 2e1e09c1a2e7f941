using Rampart.Core;
using Rampart.Scanning.Engine;

namespace Rampart.Scanning.Analyzers;

/// <summary>
/// Reports up to <see cref="MaxPerRule"/> findings per rule for one artifact, then one summary per rule with the
/// number left out, so that a model with a million bad tensors or nodes gives a readable report.
/// </summary>
internal sealed class CappedFindings(AnalysisResult result)
{
    public const int MaxPerRule = 20;

    private readonly Dictionary<string, int> _counts = new(StringComparer.Ordinal);

    public AnalysisResult Result => result;

    public void Report(string ruleId, string message, FindingLocation location, IEnumerable<KeyValuePair<string, string>> properties, Severity? severity = null)
    {
        var n = _counts[ruleId] = _counts.GetValueOrDefault(ruleId) + 1;
        if (n <= MaxPerRule)
        {
            result.Report(ruleId, message, location, properties, severity);
        }
    }

    /// <summary>Adds the summaries; call once at the end.</summary>
    public void Summarize()
    {
        foreach (var (rule, n) in _counts.Where(c => c.Value > MaxPerRule).OrderBy(c => c.Key, StringComparer.Ordinal))
        {
            result.Report(rule, $"{n - MaxPerRule:N0} more finding(s) of this rule in the artifact were not listed one by one", FindingLocation.None);
        }
    }
}

/// <summary>Judges path strings found inside model files (never touching the file system).</summary>
internal static class PathText
{
    /// <summary>Why <paramref name="path"/> points outside the model's own folder, or null when it is a plain relative path.</summary>
    public static string? Escapes(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (path.Contains('\0', StringComparison.Ordinal))
        {
            return "contains a NUL character";
        }

        var scheme = path.IndexOf("://", StringComparison.Ordinal);
        if (scheme > 0 && path[..scheme].All(c => char.IsAsciiLetterOrDigit(c) || c is '+' or '-' or '.'))
        {
            return path[..scheme].Equals("file", StringComparison.OrdinalIgnoreCase)
                ? Escapes(path[(scheme + 3)..])
                : $"is a remote {path[..scheme].ToLowerInvariant()}:// URL";
        }

        if (path.StartsWith('/') || path.StartsWith('\\') || (path.Length >= 2 && char.IsAsciiLetter(path[0]) && path[1] == ':'))
        {
            return "is an absolute path";
        }

        if (path.Split('/', '\\').Any(s => s == ".."))
        {
            return "climbs out of the model's folder with '..'";
        }

        return null;
    }
}
