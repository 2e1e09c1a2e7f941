using Rampart.Core;
using Rampart.Scanning.Analyzers.Joblib;
using Rampart.Scanning.Analyzers.Pickle;
using Rampart.Scanning.Tests.Analyzers.Pickle;
using Rampart.TestKit;
using Rampart.TestKit.Fixtures;

namespace Rampart.Scanning.Tests.Analyzers.Joblib;

public sealed class JoblibTests
{
    [Fact]
    public async Task Scan_JoblibArrays_AreSkippedExactlyAndClean()
    {
        var report = await ScanHelper.ScanBytesAsync(FixtureCatalog.Get("joblib/arrays").Build(), "arrays.joblib");

        report.Findings.Should().BeEmpty();
        report.Artifacts[0].Verdict.Should().Be(Verdict.Clean);
        report.Artifacts[0].Facts["pickle.joblibArrays"].Should().Be("2");
    }

    [Fact]
    public async Task Scan_PayloadAfterAnArray_IsFound()
    {
        var bytes = new PickleBuilder().Proto(4).Mark()
            .JoblibArray("f8", 4, 8)
            .Call("os", "system", "touch /tmp/rampart-marker")
            .List().Stop().ToArray();

        var report = await ScanHelper.ScanBytesAsync(bytes, "model.joblib");

        report.Artifacts[0].Verdict.Should().Be(Verdict.Malicious);
        report.Findings.Should().ContainSingle().Which.RuleId.Should().Be("RAMP-PKL-101");
    }

    [Fact]
    public async Task Scan_ArrayBytesThatLookLikeOpcodes_AreNotParsed()
    {
        // Array data made of 'c' GLOBAL opcodes and newlines: read as opcodes it would import "os.system".
        var builder = new PickleBuilder().Proto(4).JoblibArray("u1", 0, 1);
        var data = "cos\nsystem\n"u8.ToArray();
        var bytes = new PickleBuilder().Proto(4)
            .StackGlobal("joblib.numpy_pickle", "NumpyArrayWrapper").EmptyTuple().NewObj()
            .EmptyDict().Mark()
            .ShortBinUnicode("shape").BinInt(data.Length).Tuple1()
            .ShortBinUnicode("dtype").NumpyDtype("u1")
            .SetItems().Build().Raw(data).Stop().ToArray();

        var report = await ScanHelper.ScanBytesAsync(bytes, "model.joblib");

        builder.Length.Should().BeGreaterThan(0);
        report.Findings.Should().BeEmpty();
    }

    [Fact]
    public async Task Scan_UnalignedArraysOfOlderJoblib_AreClean()
    {
        var bytes = new PickleBuilder().Proto(2).JoblibArray("i8", 3, 8, aligned: false).Stop().ToArray();

        var report = await ScanHelper.ScanBytesAsync(bytes, "old.pkl");

        report.Findings.Should().BeEmpty();
    }

    [Fact]
    public async Task Scan_UnicodeArray_UsesTheElementSizeFromTheDtypeState()
    {
        var bytes = new PickleBuilder().Proto(4).JoblibArray("U2", 2, 8, elementSize: 8).Stop().ToArray();

        var report = await ScanHelper.ScanBytesAsync(bytes, "strings.joblib");

        report.Findings.Should().BeEmpty();
    }

    [Fact]
    public async Task Scan_ObjectArray_NestedPickleIsEmulatedAndJudged()
    {
        var bytes = new PickleBuilder().Proto(4).Mark()
            .JoblibArray("O8", 2, 8)
            .Raw(PickleBuilder.CallPickle("os", "system", "id"))
            .BinInt1(1)
            .List().Stop().ToArray();

        var report = await ScanHelper.ScanBytesAsync(bytes, "objects.joblib");

        report.Findings.Should().ContainSingle().Which.RuleId.Should().Be("RAMP-PKL-101");
        report.Artifacts[0].Facts["pickle.nestedPickles"].Should().Be("1");
    }

    [Fact]
    public async Task Scan_StructuredDtype_IsInconclusiveWithTheJoblibRule()
    {
        var report = await ScanHelper.ScanBytesAsync(FixtureCatalog.Get("joblib/structured-dtype").Build(), "records.joblib");

        report.Findings.Should().ContainSingle().Which.RuleId.Should().Be(JoblibArrayHook.LayoutRule);
        report.Artifacts[0].Verdict.Should().Be(Verdict.Inconclusive);
    }

    [Fact]
    public async Task Scan_ArrayDataCutShort_IsInconclusive()
    {
        var whole = new PickleBuilder().Proto(4).JoblibArray("f8", 100, 8).Stop().ToArray();

        var report = await ScanHelper.ScanBytesAsync(whole[..^200], "cut.joblib");

        report.Findings.Should().ContainSingle().Which.RuleId.Should().Be("RAMP-GEN-001");
    }

    [Theory]
    [InlineData("f8", 8)]
    [InlineData("b1", 1)]
    [InlineData("c16", 16)]
    [InlineData("M8", 8)]
    [InlineData("S5", 5)]
    public void ItemSize_PlainDtypes_AreComputedFromTheTypeString(string descr, long expected)
    {
        var dtype = new PickleBuilder().Proto(2).NumpyDtype(descr).Stop().ToArray();
        var (result, _) = PickleTestRunner.Run(dtype);

        JoblibArrayHook.ItemSize(result.Value, 0).Should().Be((expected, false));
    }

    [Fact]
    public void ItemSize_ObjectDtype_HasObjects()
    {
        var (result, _) = PickleTestRunner.Run(new PickleBuilder().Proto(2).NumpyDtype("O8").Stop().ToArray());

        JoblibArrayHook.ItemSize(result.Value, 0).HasObject.Should().BeTrue();
    }

    [Fact]
    public void ItemSize_NotADtype_Throws()
    {
        var act = () => JoblibArrayHook.ItemSize(PAtom.None, 5);

        act.Should().Throw<PickleFormatException>().Which.RuleId.Should().Be(JoblibArrayHook.LayoutRule);
    }
}
