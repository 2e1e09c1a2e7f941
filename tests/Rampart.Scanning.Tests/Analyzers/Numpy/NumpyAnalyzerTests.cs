using Rampart.Core;
using Rampart.Scanning.Analyzers.Numpy;
using Rampart.Scanning.IO;
using Rampart.TestKit;
using Rampart.TestKit.Fixtures;

namespace Rampart.Scanning.Tests.Analyzers.Numpy;

public sealed class NumpyAnalyzerTests
{
    private static Task<Core.Reporting.ScanReport> Scan(byte[] bytes, string name = "array.npy") => ScanHelper.ScanBytesAsync(bytes, name);

    [Fact]
    public async Task Analyze_FloatArray_FactsAndNoFindings()
    {
        var report = await Scan(new NpyBuilder().Build());

        report.Findings.Should().BeEmpty();
        var facts = report.Artifacts.Single().Facts;
        facts["numpy.descr"].Should().Be("<f4");
        facts["numpy.shape"].Should().Be("(2, 3)");
        facts["numpy.version"].Should().Be("1.0");
        facts["numpy.fortran_order"].Should().Be("False");
    }

    [Fact]
    public async Task Analyze_RealNumpySaveOutput_Clean()
    {
        // numpy.save(np.arange(6, dtype='<f4').reshape(2, 3)) header, captured from numpy 1.24.
        var header = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }" + new string(' ', 58) + "\n";
        byte[] bytes = [0x93, .. "NUMPY"u8.ToArray(), 1, 0, 0x76, 0, .. System.Text.Encoding.ASCII.GetBytes(header), .. new byte[24]];

        var report = await Scan(bytes);

        bytes.Length.Should().Be(152);
        report.Findings.Should().BeEmpty();
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public async Task Analyze_Version2And3Headers_Parsed(int major)
    {
        var report = await Scan(new NpyBuilder().Version(major).Build());

        report.Findings.Should().BeEmpty();
        report.Artifacts.Single().Facts["numpy.version"].Should().Be($"{major}.0");
    }

    [Fact]
    public async Task Analyze_ObjectArray_ReportsAndExposesPickle()
    {
        var report = await Scan(FixtureCatalog.Get("npy/object-array").Build());

        report.Findings.Should().ContainSingle(f => f.RuleId == NumpyAnalyzer.ObjectArray);
        report.Artifacts[0].Facts["numpy.shape"].Should().Be("(2,)");
        report.Artifacts.Should().Contain(a => a.Path == "array.npy#pickle" && a.Length == NumpyFixtures.ObjectListPickle.Length);
    }

    [Fact]
    public async Task Analyze_StructuredDtypeWithObjectField_TreatedAsPickle()
    {
        var bytes = new NpyBuilder().Descr("[('a', '<i4'), ('b', '|O'), ('c', '<f8', (2,))]").Shape("(2,)").Data(NumpyFixtures.ObjectListPickle).Build();

        var report = await Scan(bytes);

        report.Findings.Should().ContainSingle(f => f.RuleId == NumpyAnalyzer.ObjectArray);
    }

    [Theory]
    [InlineData("[('a', '<i4'), ('c', '<f8', (2,))]", "(3,)", 60)]
    [InlineData("'<U2'", "(2,)", 16)]
    [InlineData("'|S5'", "(1, 2)", 10)]
    [InlineData("'|b1'", "(4,)", 4)]
    [InlineData("'<M8[ns]'", "(1,)", 8)]
    [InlineData("'<c16'", "()", 16)]
    [InlineData("'<f8'", "(0,)", 0)]
    public async Task Analyze_ExactDataLength_Clean(string descr, string shape, int bytes)
    {
        var report = await Scan(new NpyBuilder().Descr(descr).Shape(shape).Data(new byte[bytes]).Build());

        report.Findings.Should().BeEmpty();
    }

    [Fact]
    public async Task Analyze_ShortData_Inconclusive()
    {
        var report = await Scan(new NpyBuilder().Data(new byte[23]).Build());

        report.Findings.Should().ContainSingle(f => f.RuleId == "RAMP-GEN-001").Which.Message.Should().Contain("needs 24");
    }

    [Fact]
    public async Task Analyze_TrailingData_ReportedAndExposed()
    {
        var report = await Scan(FixtureCatalog.Get("npy/trailing-data").Build());

        report.Findings.Should().ContainSingle(f => f.RuleId == NumpyAnalyzer.TrailingData).Which.Property("bytes").Should().Be("5");
        report.Artifacts.Should().Contain(a => a.Path == "array.npy#trailing" && a.Length == 5);
    }

    [Theory]
    [InlineData("{'descr': '<f4', 'fortran_order': False}")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), 'extra': 1}")]
    [InlineData("{'descr': '<f4', 'fortran_order': 0, 'shape': (2, 3)}")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (-1,)}")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3)")]
    [InlineData("{'descr': __import__('os').system('id'), 'fortran_order': False, 'shape': ()}")]
    [InlineData("{'descr': 'float128x', 'fortran_order': False, 'shape': ()}")]
    [InlineData("[1, 2]")]
    public async Task Analyze_BadHeader_Inconclusive(string header)
    {
        var report = await Scan(new NpyBuilder().RawHeader(header).Build());

        report.Findings.Should().ContainSingle(f => f.RuleId == "RAMP-GEN-001");
    }

    [Fact]
    public async Task Analyze_ShapeOverflow_Inconclusive()
    {
        var report = await Scan(new NpyBuilder().Shape("(4611686018427387904, 4)").Build());

        report.Findings.Should().ContainSingle(f => f.RuleId == "RAMP-GEN-001").Which.Message.Should().Contain("overflows");
    }

    [Fact]
    public async Task Analyze_HeaderLongerThanFile_Inconclusive()
    {
        var bytes = new NpyBuilder().Build()[..40];

        var report = await Scan(bytes);

        report.Findings.Should().ContainSingle(f => f.RuleId == "RAMP-GEN-001");
    }

    [Fact]
    public async Task Analyze_NpzMember_AnalysedThroughZip()
    {
        var npz = new ZipBuilder().Add("a.npy", new NpyBuilder().Build()).Add("b.npy", FixtureCatalog.Get("npy/object-array").Build(), deflate: true).Build();

        var report = await Scan(npz, "arrays.npz");

        report.Artifacts.Single(a => a.Path == "arrays.npz!/a.npy").Formats.Should().Contain("numpy");
        report.Findings.Should().ContainSingle(f => f.RuleId == NumpyAnalyzer.ObjectArray && f.ArtifactPath == "arrays.npz!/b.npy");
        report.Artifacts.Should().Contain(a => a.Path == "arrays.npz!/b.npy#pickle");
    }

    [Theory]
    [InlineData("{'a': (1,), 'b': (1, 2), 'c': (), 'd': [True, None], 'e': -5L}")]
    [InlineData("{\"a\": 'x\\'y'}")]
    public void PyLiteral_ValidLiterals_Parsed(string text)
    {
        PyLiteral.Parse(text).Should().BeOfType<PyDict>();
    }

    [Fact]
    public void PyLiteral_SingleParenthesisedValue_IsNotTuple()
    {
        PyLiteral.Parse("(3)").Should().Be(3L);
        PyLiteral.Parse("(3,)").Should().BeOfType<PyTuple>().Which.Should().Equal(3L);
    }

    [Fact]
    public void PyLiteral_DeepNesting_Rejected()
    {
        var act = () => PyLiteral.Parse(new string('[', 100) + new string(']', 100));

        act.Should().Throw<MalformedContentException>().WithMessage("*nested too deeply*");
    }
}
