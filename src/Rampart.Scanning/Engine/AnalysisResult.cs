using System.Collections.Immutable;
using System.Globalization;
using Rampart.Core;

namespace Rampart.Scanning.Engine;

/// <summary>
/// What one analyzer learnt about one artifact (or one folder): findings, facts, and artifacts found inside it.
/// </summary>
public sealed class AnalysisResult
{
    private readonly List<Finding> _findings = [];
    private readonly List<Artifact> _children = [];
    private readonly SortedDictionary<string, string> _facts = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _companions = new(StringComparer.Ordinal);

    public AnalysisResult(string analyzerId, Artifact artifact, AnalysisContext context)
    {
        ArgumentNullException.ThrowIfNull(artifact);
        ArgumentNullException.ThrowIfNull(context);
        AnalyzerId = analyzerId;
        Artifact = artifact;
        Path = artifact.Path;
        Context = context;
    }

    /// <summary>A result about a whole folder (see <see cref="IFolderAnalyzer"/>): findings carry its display path.</summary>
    public AnalysisResult(string analyzerId, FolderView folder, AnalysisContext context)
    {
        ArgumentNullException.ThrowIfNull(folder);
        ArgumentNullException.ThrowIfNull(context);
        AnalyzerId = analyzerId;
        Path = folder.DisplayPath;
        Context = context;
    }

    public string AnalyzerId { get; }

    /// <summary>The artifact analysed, or null when the result is about a folder.</summary>
    public Artifact? Artifact { get; }

    /// <summary>The logical path findings are reported against.</summary>
    public string Path { get; }

    public AnalysisContext Context { get; }

    /// <summary>Set when this analyzer, on reading, found the content is not its format after all.</summary>
    public bool NotThisFormat { get; private set; }

    public IReadOnlyList<Finding> Findings => _findings;

    public IReadOnlyList<Artifact> Children => _children;

    public IReadOnlyDictionary<string, string> Facts => _facts;

    /// <summary>Raises rule <paramref name="ruleId"/> with the rule's own severity and verdict.</summary>
    public Finding Report(string ruleId, string message, FindingLocation? location = null, IEnumerable<KeyValuePair<string, string>>? properties = null, Severity? severity = null)
    {
        var rule = Context.Rules[ruleId];
        var finding = new Finding(
            ruleId,
            severity ?? rule.Severity,
            rule.Verdict,
            message,
            Path,
            location ?? FindingLocation.None,
            properties?.ToImmutableSortedDictionary(StringComparer.Ordinal));
        _findings.Add(finding);
        return finding;
    }

    /// <summary>The artifact could not be analysed completely: fail closed with a reason.</summary>
    public Finding Inconclusive(string reason, FindingLocation? location = null) =>
        Report(RuleIds.ParseError, reason, location);

    /// <summary>A configured limit was reached; what lies beyond it was not analysed.</summary>
    public Finding LimitReached(string limitName, string detail, FindingLocation? location = null) =>
        Report(RuleIds.LimitReached, $"limit '{limitName}' reached: {detail}; the rest was not analysed", location,
            [new("limit", limitName)]);

    public void AddChild(Artifact child)
    {
        ArgumentNullException.ThrowIfNull(child);
        if (Artifact is null)
        {
            throw new InvalidOperationException("A folder result has no children: the files of a folder are scanned on their own.");
        }

        _children.Add(child);
    }

    /// <summary>
    /// Files beside this artifact that its format reads as raw data (an ONNX model's external tensor data), by
    /// logical path, with the role they play. The engine lists such a file as that data instead of calling it an
    /// unrecognised model file (RAMP-GEN-003); every analyzer still reads it as usual, so a pickle named as
    /// external data is judged as a pickle.
    /// </summary>
    public IReadOnlyDictionary<string, string> Companions => _companions;

    /// <summary>Declares <paramref name="relativePath"/> (relative to this file-on-disk's folder) as raw data it reads.</summary>
    public void ClaimCompanionFile(string relativePath, string role)
    {
        ArgumentException.ThrowIfNullOrEmpty(relativePath);
        if (Artifact is not { Depth: 0 })
        {
            return;
        }

        var folder = System.IO.Path.GetDirectoryName(Path)?.Replace('\\', '/');
        var segments = relativePath.Replace('\\', '/').Split('/', StringSplitOptions.RemoveEmptyEntries).Where(s => s != ".");
        var joined = string.Join('/', segments);
        _companions[string.IsNullOrEmpty(folder) ? joined : folder + "/" + joined] = role;
    }

    public void SetFact(string key, string value) => _facts[key] = value;

    public void SetFact(string key, long value) => _facts[key] = value.ToString(CultureInfo.InvariantCulture);

    /// <summary>Declares that, on closer reading, the artifact is not this analyzer's format (no findings kept).</summary>
    public void MarkNotThisFormat() => NotThisFormat = true;
}

/// <summary>Rule ids raised by the engine itself and shared by every analyzer.</summary>
public static class RuleIds
{
    /// <summary>Malformed or truncated content: Inconclusive.</summary>
    public const string ParseError = "RAMP-GEN-001";

    /// <summary>A scan limit was reached: Inconclusive.</summary>
    public const string LimitReached = "RAMP-GEN-002";

    /// <summary>Named like a model file but no analyzer recognises the content: Inconclusive.</summary>
    public const string UnrecognizedModelFile = "RAMP-GEN-003";

    /// <summary>An analyzer failed unexpectedly (a Rampart bug): Inconclusive.</summary>
    public const string AnalyzerFailure = "RAMP-GEN-004";

    /// <summary>A path given to scan could not be read.</summary>
    public const string Unreadable = "RAMP-GEN-005";
}
