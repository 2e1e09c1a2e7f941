using Rampart.Dependencies.Signals;

namespace Rampart.Dependencies.Tests.Signals;

public sealed class TyposquatTests
{
    [Theory]
    [InlineData("torchh", "torch")]
    [InlineData("trosh", null)]
    [InlineData("transfomers", "transformers")]
    [InlineData("tarnsformers", "transformers")]
    [InlineData("scikitlearn", "scikit-learn")]
    [InlineData("python-torch", "torch")]
    [InlineData("numpy-py", "numpy")]
    [InlineData("pytorch", "torch")]
    [InlineData("numpy", null)]
    [InlineData("Scikit_Learn", null)]
    [InlineData("requests-oauthlib", null)]
    [InlineData("cos", null)]
    public void Check_Names_FlagsLookAlikesOnly(string name, string? target) =>
        Typosquat.Default.Check(name)?.Target.Should().Be(target);

    [Theory]
    [InlineData("abc", "abc", 0)]
    [InlineData("abc", "acb", 1)]
    [InlineData("abc", "abcd", 1)]
    [InlineData("kitten", "sitting", 3)]
    [InlineData("ca", "abc", 3)]
    public void Distance_Pairs_OptimalStringAlignment(string a, string b, int expected) =>
        Typosquat.Distance(a, b).Should().Be(expected);
}
