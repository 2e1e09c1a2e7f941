using Xunit;

namespace Rampart.TestKit;

/// <summary>
/// The one check that a rule has its page: docs/rules/ID.md exists, names the rule and has the two sections every
/// finding links to ("Why it matters", "How to fix"). Each room's rule tests call it for their own ids and add
/// room-specific checks (ATLAS mappings, for instance) on the text it returns.
/// </summary>
public static class RuleDocPages
{
    public static string ReadChecked(string id)
    {
        var page = Path.Combine(RepositoryPaths.Root, "docs", "rules", id + ".md");
        Assert.True(File.Exists(page), $"every rule needs {page}");
        var text = File.ReadAllText(page);
        Assert.Contains(id, text, StringComparison.Ordinal);
        Assert.Contains("## Why it matters", text, StringComparison.Ordinal);
        Assert.Contains("## How to fix", text, StringComparison.Ordinal);
        return text;
    }
}
