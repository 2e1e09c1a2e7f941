using Rampart.Core.Policy;

namespace Rampart.Core.Tests.Policy;

public sealed class PolicyParserRequireTests
{
    [Fact]
    public void Parse_RequireSignedBy_ResolvesRelativeToThePolicyFile()
    {
        var folder = Path.Combine(Path.GetTempPath(), "rampart-require-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        try
        {
            var source = Path.Combine(folder, "rampart.yaml");
            const string yaml = "version: 1\nrequire:\n  signed-by: keys/team.pub\n  signature: sigs/model.sig\n  serialization: shards\n";
            File.WriteAllText(source, yaml);

            var policy = PolicyParser.Parse(yaml, source);

            policy.RequireSignature.Should().Be(new SignatureRequirement(Path.Combine(folder, "keys", "team.pub"), "sigs/model.sig", "shards"));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void Parse_NoRequireSection_RequiresNothing()
    {
        PolicyParser.Parse("version: 1\n", "inline").RequireSignature.Should().BeNull();
    }

    [Theory]
    [InlineData("require:\n  signature: model.sig\n", "needs 'signed-by'")]
    [InlineData("require:\n  signed-by: k.pub\n  serialization: tensors\n", "files or shards")]
    [InlineData("require:\n  signed-by: k.pub\n  signature: ../model.sig\n", "inside the model folder")]
    [InlineData("require:\n  signed-by: k.pub\n  signed_by: k.pub\n", "signed_by")]
    public void Parse_BadRequireSection_FailsClosedWithMessage(string yaml, string expected)
    {
        var act = () => PolicyParser.Parse(yaml, "inline");

        act.Should().Throw<PolicyException>().Which.Message.Should().Contain(expected);
    }
}
