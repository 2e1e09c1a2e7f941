namespace Rampart.TestKit;

/// <summary>Locates the repository and the team's shared test data from a test's working directory.</summary>
public static class RepositoryPaths
{
    private static readonly Lazy<string> LazyRoot = new(() =>
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Rampart.slnx")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException("Cannot find the repository root (Rampart.slnx) above " + AppContext.BaseDirectory);
    });

    public static string Root => LazyRoot.Value;

    /// <summary>
    /// The rule files of every room, as repository-relative paths with '/': JSON under rules/ whose root object has a
    /// "rules" array (pattern data, profiles and the confusables table do not).
    /// </summary>
    public static IReadOnlyList<string> RuleFiles() =>
        [.. Directory.EnumerateFiles(Path.Combine(Root, "rules"), "*.json", SearchOption.AllDirectories)
            .Where(f =>
            {
                using var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllText(f));
                return doc.RootElement.ValueKind == System.Text.Json.JsonValueKind.Object
                    && doc.RootElement.TryGetProperty("rules", out var rules) && rules.ValueKind == System.Text.Json.JsonValueKind.Array;
            })
            .Select(f => Path.GetRelativePath(Root, f).Replace('\\', '/'))
            // The threat-applicability rules (rules/threats) are conditions over a system description, a format of their
            // own read and self-tested by Rampart.Threats; they are not scanner-style catalogs.
            .Where(f => !f.StartsWith("rules/threats/", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)];

    /// <summary>../shared/testdata beside the repository, or null where it is absent (tests then skip with a reason).</summary>
    public static string? SharedTestData
    {
        get
        {
            var path = Path.GetFullPath(Path.Combine(Root, "..", "shared", "testdata"));
            return Directory.Exists(path) ? path : null;
        }
    }
}
