using Rampart.Core.Policy;
using Rampart.Core.Rules;

namespace Rampart.Core.Tests.Rules;

public sealed class NamePatternTests
{
    [Theory]
    [InlineData("os.system", "os.system", true)]
    [InlineData("os.system", "os.systems", false)]
    [InlineData("os.system", "OS.system", false)]
    [InlineData("os.*", "os.system", true)]
    [InlineData("os.*", "os.path.join", true)]
    [InlineData("os.*", "os", false)]
    [InlineData("os.*", "oscar.x", false)]
    [InlineData("*.system", "posix.system", true)]
    [InlineData("*.system", "system", false)]
    [InlineData("torch.*.load", "torch.serialization.load", true)]
    [InlineData("torch.*.load", "torch.load", false)]
    [InlineData("a*b*c", "abc", true)]
    [InlineData("a*b*c", "aXbYc", true)]
    [InlineData("a*b*c", "acb", false)]
    [InlineData("ab*ba", "aba", false)]
    [InlineData("*", "anything.at.all", true)]
    public void IsMatch_Pattern_MatchesAsDocumented(string pattern, string name, bool expected)
    {
        var compiled = new NamePattern(pattern);
        compiled.IsMatch(name).Should().Be(expected);
        compiled.IsExact.Should().Be(!pattern.Contains('*'));
    }

    [Theory]
    [InlineData("")]
    [InlineData("  ")]
    public void Constructor_BlankPattern_Throws(string pattern)
    {
        var act = () => new NamePattern(pattern);
        act.Should().Throw<ArgumentException>();
    }
}

public sealed class PathGlobTests
{
    [Theory]
    [InlineData("models/*.pt", "models/a.pt", true)]
    [InlineData("models/*.pt", "models/sub/a.pt", false)]
    [InlineData("models/**/*.pt", "models/a.pt", true)]
    [InlineData("models/**/*.pt", "models/x/y/a.pt", true)]
    [InlineData("**/*.pkl", "deep/er/a.pkl", true)]
    [InlineData("models/**", "models/a.pt!/archive/data.pkl", true)]
    [InlineData("models/a.pt!/**", "models/a.pt!/archive/data.pkl", true)]
    [InlineData("a?.pt", "ab.pt", true)]
    [InlineData("a?.pt", "a/.pt", false)]
    [InlineData("a.pt", "./a.pt", true)]
    [InlineData(@"models\*.pt", @"models\a.pt", true)]
    [InlineData("a.pt", "b.pt", false)]
    [InlineData("a.pt", "xa.pt", false)]
    [InlineData("a+b(1).pt", "a+b(1).pt", true)]
    public void IsMatch_Glob_MatchesLogicalPaths(string pattern, string path, bool expected)
    {
        PathGlob.IsMatch(pattern, path).Should().Be(expected);
    }
}
