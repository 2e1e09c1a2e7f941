using System.Text.Json;
using Rampart.Core.Reporting;
using Rampart.Core.Reporting.Sarif;
using Xunit.Abstractions;

namespace Rampart.Core.Tests.Reporting;

public sealed class SarifReporterTests
{
    private static async Task<JsonDocument> RenderAsync(ScanReport report, string? baseDirectory = null) =>
        JsonDocument.Parse(await SampleReports.RenderAsync(new SarifReporter(baseDirectory), report));

    private static JsonElement Run(JsonDocument document) => document.RootElement.GetProperty("runs")[0];

    private static JsonElement ResultFor(JsonDocument document, string ruleId) =>
        Run(document).GetProperty("results").EnumerateArray().Single(r => r.GetProperty("ruleId").GetString() == ruleId);

    [Fact]
    public async Task WriteAsync_FullReport_HasSchemaVersionAndDriver()
    {
        using var document = await RenderAsync(SampleReports.Full());
        document.RootElement.GetProperty("$schema").GetString().Should().Be(SarifReporter.SchemaUri);
        document.RootElement.GetProperty("version").GetString().Should().Be("2.1.0");
        var driver = Run(document).GetProperty("tool").GetProperty("driver");
        driver.GetProperty("name").GetString().Should().Be("rampart");
        driver.GetProperty("semanticVersion").GetString().Should().Be("9.8.7");
        driver.GetProperty("informationUri").GetString().Should().Be("https://example.test/rampart");
    }

    [Fact]
    public async Task WriteAsync_Rules_CarryDescriptionsHelpAndSecuritySeverity()
    {
        using var document = await RenderAsync(SampleReports.Full());
        var rules = Run(document).GetProperty("tool").GetProperty("driver").GetProperty("rules").EnumerateArray().ToList();
        rules.Select(r => r.GetProperty("id").GetString()).Should().Equal("RAMP-GEN-001", "RAMP-PKL-101", "RAMP-PKL-201");
        var critical = rules[1];
        critical.GetProperty("name").GetString().Should().Be("dangerous-global");
        critical.GetProperty("shortDescription").GetProperty("text").GetString().Should().Be("Title of RAMP-PKL-101");
        critical.GetProperty("fullDescription").GetProperty("text").GetString().Should().Contain("why it matters");
        critical.GetProperty("help").GetProperty("text").GetString().Should().Contain("How to fix: Fix of RAMP-PKL-101").And.Contain("AML.T0010");
        critical.GetProperty("help").GetProperty("markdown").GetString().Should().Contain("[AML.T0010: MITRE ATLAS: ML Supply Chain Compromise](https://atlas.mitre.org/techniques/AML.T0010)");
        critical.GetProperty("helpUri").GetString().Should().Be("https://example.test/docs/rules/RAMP-PKL-101.md");
        critical.GetProperty("defaultConfiguration").GetProperty("level").GetString().Should().Be("error");
        var properties = critical.GetProperty("properties");
        properties.GetProperty("security-severity").ValueKind.Should().Be(JsonValueKind.String);
        properties.GetProperty("security-severity").GetString().Should().Be("9.5");
        properties.GetProperty("precision").GetString().Should().Be("high");
        properties.GetProperty("tags").EnumerateArray().Select(t => t.GetString()).Should().Contain(["security", "pickle"]);
        rules[2].GetProperty("properties").GetProperty("security-severity").GetString().Should().Be("3.0");
        rules[2].GetProperty("defaultConfiguration").GetProperty("level").GetString().Should().Be("note");
    }

    [Theory]
    [InlineData(Severity.Critical, "error", "9.5")]
    [InlineData(Severity.High, "error", "8.0")]
    [InlineData(Severity.Medium, "warning", "5.5")]
    [InlineData(Severity.Low, "note", "3.0")]
    [InlineData(Severity.Info, "note", "0.0")]
    public void LevelAndSecuritySeverity_EachSeverity_MapAsGitHubExpects(Severity severity, string level, string securitySeverity)
    {
        SarifReporter.Level(severity).Should().Be(level);
        SarifReporter.SecuritySeverity(severity).Should().Be(securitySeverity);
    }

    [Fact]
    public async Task WriteAsync_Results_RuleIndexPointsAtTheirRule()
    {
        using var document = await RenderAsync(SampleReports.Full());
        var rules = Run(document).GetProperty("tool").GetProperty("driver").GetProperty("rules");
        foreach (var result in Run(document).GetProperty("results").EnumerateArray())
        {
            rules[result.GetProperty("ruleIndex").GetInt32()].GetProperty("id").GetString().Should().Be(result.GetProperty("ruleId").GetString());
        }
    }

    [Fact]
    public async Task WriteAsync_MemberFinding_PointsAtOuterFileAndNamesMember()
    {
        using var document = await RenderAsync(SampleReports.Full());
        var result = ResultFor(document, "RAMP-PKL-101");
        result.GetProperty("level").GetString().Should().Be("error");
        var location = result.GetProperty("locations")[0];
        location.GetProperty("physicalLocation").GetProperty("artifactLocation").GetProperty("uri").GetString().Should().Be("models/evil.pt");
        location.GetProperty("physicalLocation").GetProperty("artifactLocation").GetProperty("uriBaseId").GetString().Should().Be("%SRCROOT%");
        var region = location.GetProperty("physicalLocation").GetProperty("region");
        region.GetProperty("startLine").GetInt32().Should().Be(1);
        region.TryGetProperty("byteOffset", out _).Should().BeFalse("the offset is inside the member, not the file on disk");
        location.GetProperty("logicalLocations")[0].GetProperty("fullyQualifiedName").GetString().Should().Be("models/evil.pt!/archive/data.pkl");
        var message = result.GetProperty("message").GetProperty("text").GetString();
        message.Should().Contain("os.system").And.Contain("models/evil.pt!/archive/data.pkl").And.Contain("opcode REDUCE #3");
    }

    [Fact]
    public async Task WriteAsync_TopLevelFindingWithOffset_HasLineAndByteOffset()
    {
        using var document = await RenderAsync(SampleReports.Full());
        var result = ResultFor(document, "RAMP-GEN-001");
        result.GetProperty("level").GetString().Should().Be("warning");
        var physical = result.GetProperty("locations")[0].GetProperty("physicalLocation");
        physical.GetProperty("artifactLocation").GetProperty("uri").GetString().Should().Be("models/broken.pkl");
        physical.GetProperty("region").GetProperty("startLine").GetInt32().Should().Be(1);
        physical.GetProperty("region").GetProperty("byteOffset").GetInt64().Should().Be(7);
        result.GetProperty("locations")[0].TryGetProperty("logicalLocations", out _).Should().BeFalse();
    }

    [Fact]
    public async Task WriteAsync_SuppressedFinding_HasExternalSuppressionWithJustification()
    {
        using var document = await RenderAsync(SampleReports.Full());
        var result = ResultFor(document, "RAMP-PKL-201");
        var suppression = result.GetProperty("suppressions")[0];
        suppression.GetProperty("kind").GetString().Should().Be("external");
        suppression.GetProperty("justification").GetString().Should().Contain("mylib is our own package").And.Contain("2027-01-31");
        ResultFor(document, "RAMP-PKL-101").TryGetProperty("suppressions", out _).Should().BeFalse();
    }

    [Fact]
    public async Task WriteAsync_Invocation_RecordsExitCodeAndWarnings()
    {
        using var document = await RenderAsync(SampleReports.Full());
        var invocation = Run(document).GetProperty("invocations")[0];
        invocation.GetProperty("executionSuccessful").GetBoolean().Should().BeTrue();
        invocation.GetProperty("exitCode").GetInt32().Should().Be(ExitCodes.Findings);
        invocation.GetProperty("toolExecutionNotifications")[0].GetProperty("message").GetProperty("text").GetString().Should().Contain("expired");
    }

    [Fact]
    public async Task WriteAsync_Fingerprints_AreStableAcrossRuns()
    {
        using var first = await RenderAsync(SampleReports.Full());
        using var second = await RenderAsync(SampleReports.Full());
        string Print(JsonDocument d) => ResultFor(d, "RAMP-PKL-101").GetProperty("partialFingerprints").GetProperty(SarifReporter.FingerprintKey).GetString()!;
        Print(first).Should().MatchRegex("^[0-9a-f]{64}$").And.Be(Print(second));
    }

    [Fact]
    public void Fingerprint_DifferentNameProperty_Differs()
    {
        var a = SampleReports.MemberFinding;
        var b = a with { Properties = System.Collections.Immutable.ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal, [KeyValuePair.Create("name", "posix.system")]) };
        var c = a with { Message = "a reworded message", Location = FindingLocation.AtOffset(99) };
        SarifReporter.Fingerprint(a).Should().NotBe(SarifReporter.Fingerprint(b));
        SarifReporter.Fingerprint(a).Should().Be(SarifReporter.Fingerprint(c), "wording and offsets may change between versions without creating new alerts");
    }

    [Fact]
    public async Task WriteAsync_CleanReport_HasEmptyResultsAndRules()
    {
        using var document = await RenderAsync(SampleReports.Clean());
        Run(document).GetProperty("results").GetArrayLength().Should().Be(0);
        Run(document).GetProperty("tool").GetProperty("driver").GetProperty("rules").GetArrayLength().Should().Be(0);
        Run(document).GetProperty("invocations")[0].GetProperty("exitCode").GetInt32().Should().Be(ExitCodes.Clean);
    }

    [Fact]
    public void FileUri_AbsolutePathUnderBase_IsRelativeWithForwardSlashes()
    {
        var root = Path.Combine(Path.GetTempPath(), "repo");
        var reporter = new SarifReporter(root);
        reporter.FileUri(Path.Combine(root, "models", "a b#1.pt")).Should().Be(("models/a%20b%231.pt", true));
    }

    [Fact]
    public void FileUri_AbsolutePathOutsideBase_IsAbsoluteFileUri()
    {
        var reporter = new SarifReporter(Path.Combine(Path.GetTempPath(), "repo"));
        var (uri, relative) = reporter.FileUri(Path.Combine(Path.GetTempPath(), "elsewhere", "a.pt"));
        relative.Should().BeFalse();
        uri.Should().StartWith("file:///").And.EndWith("/elsewhere/a.pt");
    }

    [Fact]
    public void FileUri_DotSlashAndBackslashes_AreNormalised()
    {
        new SarifReporter().FileUri("./models/x.pkl").Should().Be(("models/x.pkl", true));
        new SarifReporter().FileUri(@"models\sub\x.pkl").Uri.Should().Be("models/sub/x.pkl");
    }

    [Fact]
    public void OuterFile_UnknownArtifact_CutsAtFirstMemberOrPartSeparator()
    {
        var none = new Dictionary<string, ArtifactReport>();
        SarifReporter.OuterFile("a.pt!/x/y.pkl#pickle[1]", none).Should().Be("a.pt");
        SarifReporter.OuterFile("a.pkl#pickle[2]", none).Should().Be("a.pkl");
        SarifReporter.OuterFile("plain.pkl", none).Should().Be("plain.pkl");
    }

    [SarifSchemaFact]
    public async Task WriteAsync_FullReport_ValidatesAgainstSarifSchema()
    {
        var schema = Environment.GetEnvironmentVariable(SarifSchemaFactAttribute.Variable)!;

        var result = JsonSchemaValidator.Validate(await SampleReports.RenderAsync(new SarifReporter(), SampleReports.Full()), schema);

        result.Available.Should().BeTrue(result.Output);
        result.Valid.Should().BeTrue(result.Output);
    }
}

/// <summary>
/// Runs only where RAMPART_SARIF_SCHEMA names a copy of the OASIS sarif-schema-2.1.0.json (not committed: it is
/// OASIS's text) and python3 with jsonschema is present; elsewhere it is reported as skipped with the reason.
/// </summary>
public sealed class SarifSchemaFactAttribute : FactAttribute
{
    public const string Variable = "RAMPART_SARIF_SCHEMA";

    public SarifSchemaFactAttribute()
    {
        var schema = Environment.GetEnvironmentVariable(Variable);
        Skip = string.IsNullOrEmpty(schema) || !File.Exists(schema)
            ? $"{Variable} does not name a copy of sarif-schema-2.1.0.json"
            : JsonSchemaValidator.UnavailableReason;
    }
}
