using Rampart.Core.Reporting;

namespace Rampart.Core.Tests.Reporting;

public sealed class ReportTextTests
{
    [Fact]
    public void Describe_NothingKnown_IsNull() => ReportText.Describe(FindingLocation.None).Should().BeNull();

    [Fact]
    public void Describe_OffsetAndDetail_ShowsHexDecimalAndDetail() =>
        ReportText.Describe(FindingLocation.AtOffset(26, "opcode REDUCE #42")).Should().Be("offset 0x1A (26): opcode REDUCE #42");

    [Fact]
    public void Describe_LineAndColumn_ShowsBoth() =>
        ReportText.Describe(new FindingLocation(Line: 3, Column: 7)).Should().Be("line 3, column 7");

    [Fact]
    public void Describe_DetailOnly_IsDetail() =>
        ReportText.Describe(new FindingLocation(Detail: "member data.pkl")).Should().Be("member data.pkl");

    [Fact]
    public void ReferencedRules_FindingsAndSuppressed_AreDistinctAndSorted() =>
        ReportText.ReferencedRules(SampleReports.Full()).Select(r => r.Id).Should().Equal("RAMP-GEN-001", "RAMP-PKL-101", "RAMP-PKL-201");

    [Theory]
    [InlineData(ExitCodes.Clean, "no finding at or above 'high'")]
    [InlineData(ExitCodes.Findings, "at least one finding at or above 'high'")]
    [InlineData(ExitCodes.Inconclusive, "could not be scanned completely")]
    public void ExitCodeMeaning_EachScanExitCode_NamesTheThreshold(int code, string expected) =>
        ReportText.ExitCodeMeaning(code, Severity.High).Should().Contain(expected);
}
