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

    /// <summary>scikit-learn's tree node record (numpy 1.24 layout): 8 plain fields and a u1, packed into 65 bytes.</summary>
    private static void TreeNodes(PickleBuilder b) => b.NumpyRecordDtype(65, 16,
        ("left_child", d => d.NumpyDtype("i8"), 0), ("right_child", d => d.NumpyDtype("i8"), 8),
        ("feature", d => d.NumpyDtype("i8"), 16), ("threshold", d => d.NumpyDtype("f8"), 24),
        ("impurity", d => d.NumpyDtype("f8"), 32), ("n_node_samples", d => d.NumpyDtype("i8"), 40),
        ("weighted_n_node_samples", d => d.NumpyDtype("f8"), 48), ("missing_go_to_left", d => d.NumpyDtype("u1"), 56));

    /// <summary>A record with a nested record, a sub-array field and alignment padding (itemsize 48, not the packed 41).</summary>
    private static void NestedRecord(PickleBuilder b) => b.NumpyRecordDtype(48, 16,
        ("id", d => d.NumpyDtype("u1"), 0),
        ("pos", d => d.NumpySubarrayDtype(e => e.NumpyDtype("f8"), 24, 3), 8),
        ("inner", d => d.NumpyRecordDtype(16, 16, ("x", e => e.NumpyDtype("f4"), 0), ("y", e => e.NumpyDtype("i8"), 8)), 32));

    public static TheoryData<string, int> Records() => new() { { "tree-nodes", 65 }, { "nested", 48 } };

    private static Action<PickleBuilder> Record(string name) => name == "tree-nodes" ? TreeNodes : NestedRecord;

    [Theory]
    [MemberData(nameof(Records))]
    public async Task Scan_StructuredDtype_IsReadAndClean(string record, int itemSize)
    {
        var bytes = new PickleBuilder().Proto(4).Mark().JoblibArray(Record(record), 7, itemSize).JoblibArray("f8", 3, 8).List().Stop().ToArray();

        var report = await ScanHelper.ScanBytesAsync(bytes, "tree.joblib");

        report.Findings.Should().BeEmpty();
        report.Artifacts[0].Verdict.Should().Be(Verdict.Clean);
        report.Artifacts[0].Facts["pickle.joblibArrays"].Should().Be("2");
    }

    [Theory]
    [MemberData(nameof(Records))]
    public async Task Scan_PayloadAfterAStructuredArray_IsFoundAtTheExactEndOfTheRecords(string record, int itemSize)
    {
        var bytes = new PickleBuilder().Proto(4).Mark().JoblibArray(Record(record), 5, itemSize)
            .Call("os", "system", "touch /tmp/rampart-marker").List().Stop().ToArray();

        var report = await ScanHelper.ScanBytesAsync(bytes, "tree.joblib");

        report.Artifacts[0].Verdict.Should().Be(Verdict.Malicious);
        report.Findings.Should().ContainSingle().Which.Property("name").Should().Be("os.system");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Scan_StructuredDtypeWithAnObjectField_IsReadAsTheNestedPickleJoblibWrites(bool inSubarray)
    {
        Action<PickleBuilder> objects = inSubarray
            ? d => d.NumpySubarrayDtype(e => e.NumpyDtype("O8"), 16, 2)
            : d => d.NumpyDtype("O8");
        var bytes = new PickleBuilder().Proto(4).Mark()
            .JoblibArray(b => b.NumpyRecordDtype(24, 27, ("n", d => d.NumpyDtype("i8"), 0), ("o", objects, 8)), 2, 24, objects: true)
            .Raw(PickleBuilder.CallPickle("os", "system", "id"))
            .List().Stop().ToArray();

        var report = await ScanHelper.ScanBytesAsync(bytes, "records.joblib");

        report.Findings.Should().ContainSingle().Which.RuleId.Should().Be("RAMP-PKL-101");
        report.Artifacts[0].Facts["pickle.nestedPickles"].Should().Be("1");
    }

    public static TheoryData<string, byte[]> BrokenRecords() => new()
    {
        { "field past the item size", FixtureCatalog.Get("joblib/broken-record-dtype").Build() },
        { "object flag without object fields", new PickleBuilder().Proto(4).JoblibArray(b => b.NumpyRecordDtype(8, 27, ("a", d => d.NumpyDtype("i8"), 0)), 2, 8).Stop().ToArray() },
        { "object field without the object flag", new PickleBuilder().Proto(4).JoblibArray(b => b.NumpyRecordDtype(8, 16, ("a", d => d.NumpyDtype("O8"), 0)), 2, 8).Stop().ToArray() },
        { "unknown field type", new PickleBuilder().Proto(4).JoblibArray(b => b.NumpyRecordDtype(8, 16, ("a", d => d.NumpyDtype("q8"), 0)), 2, 8).Stop().ToArray() },
        { "sub-array size that disagrees", new PickleBuilder().Proto(4).JoblibArray(b => b.NumpyRecordDtype(32, 16, ("a", d => d.NumpySubarrayDtype(e => e.NumpyDtype("f8"), 32, 3), 0)), 2, 32).Stop().ToArray() },
    };

    [Theory]
    [MemberData(nameof(BrokenRecords))]
    public async Task Scan_StructuredDtypeThatNumpyWouldNotBuild_IsInconclusiveWithTheJoblibRule(string why, byte[] bytes)
    {
        var report = await ScanHelper.ScanBytesAsync(bytes, "records.joblib");

        report.Findings.Should().ContainSingle(why).Which.RuleId.Should().Be(JoblibArrayHook.LayoutRule);
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
