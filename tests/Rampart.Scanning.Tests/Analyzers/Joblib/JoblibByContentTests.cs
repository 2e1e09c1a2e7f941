using System.Diagnostics;
using Rampart.Core;
using Rampart.Scanning.Analyzers.Joblib;
using Rampart.TestKit;
using Rampart.TestKit.Fixtures;

namespace Rampart.Scanning.Tests.Analyzers.Joblib;

/// <summary>
/// joblib streams are recognised by their content: with any file name, and inside any compression joblib writes
/// (its zlib, gzip, bz2, lzma and xz options), the pickle with inline array bytes is found and read through.
/// </summary>
public sealed class JoblibByContentTests
{
    public static TheoryData<string, string> CompressionsAndNames()
    {
        var data = new TheoryData<string, string>();
        foreach (var compression in Compressions)
        {
            foreach (var name in (string[])["model", "model.bin", "model.pkl", "model.joblib", "model.dat"])
            {
                data.Add(compression, name);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(CompressionsAndNames))]
    public async Task Scan_PayloadAfterAnInlineArray_IsMaliciousWhateverTheNameAndCompression(string compression, string name)
    {
        // An array whose bytes are not opcodes (0xFF) must be skipped exactly to reach the payload behind it.
        var pickle = new PickleBuilder().Proto(4).Mark()
            .JoblibArray("f8", 600, 8)
            .Call("os", "system", "touch /tmp/rampart-marker")
            .List().Stop().ToArray();
        var (bytes, fileName) = Compress(pickle, compression, name);

        var report = await ScanHelper.ScanBytesAsync(bytes, fileName);

        report.Artifacts[0].Verdict.Should().Be(Verdict.Malicious, $"{compression} {fileName}");
        report.Findings.Should().Contain(f => f.RuleId == "RAMP-PKL-101" && f.Property("name") == "os.system");
    }

    [Theory]
    [MemberData(nameof(CompressionsAndNames))]
    public async Task Scan_BenignJoblibArraysAndTreeNodes_AreCleanWhateverTheNameAndCompression(string compression, string name)
    {
        foreach (var fixture in (string[])["joblib/arrays", "joblib/tree-nodes"])
        {
            var (bytes, fileName) = Compress(FixtureCatalog.Get(fixture).Build(), compression, name);

            var report = await ScanHelper.ScanBytesAsync(bytes, fileName);

            report.Findings.Should().BeEmpty($"{fixture} as {compression} {fileName}");
            report.Artifacts[0].Verdict.Should().Be(Verdict.Clean);
            report.Artifacts.Should().Contain(a => a.Formats.Contains("pickle") && a.Facts.ContainsKey("pickle.joblibArrays"));
        }
    }

    [Theory]
    [InlineData("model")]
    [InlineData("weights.dat")]
    [InlineData("model.npz.part")]
    public async Task Scan_JoblibWhoseLayoutCannotBeFollowed_IsInconclusiveNotSkipped(string name)
    {
        // Without a pickle-like name the head used to be given up as "not a pickle" at the unreadable array.
        var bytes = FixtureCatalog.Get("joblib/broken-record-dtype").Build();

        var report = await ScanHelper.ScanBytesAsync(bytes, name);

        report.Artifacts[0].Verdict.Should().Be(Verdict.Inconclusive);
        report.Findings.Should().Contain(f => f.RuleId == JoblibArrayHook.LayoutRule);
    }

    [Theory]
    [InlineData(100)]
    [InlineData(20_000)]
    public async Task Scan_ArrayLongerThanTheSniffedHead_IsStillRecognised(int elements)
    {
        var pickle = new PickleBuilder().Proto(4).Mark()
            .JoblibArray("i8", elements, 8)
            .Call("subprocess", "check_call", "id")
            .List().Stop().ToArray();

        var report = await ScanHelper.ScanBytesAsync(pickle, "state");

        report.Artifacts[0].Verdict.Should().Be(Verdict.Malicious);
    }

    private static readonly string[] Compressions = ["none", "zlib", "gzip", "bz2", "lzma", "xz"];

    /// <summary>
    /// gzip, zlib and xz (stored LZMA2 chunks) are written in process; bz2 and .lzma have no encoder in .NET, so
    /// Python's standard library (bz2, lzma modules: no third-party package) compresses the bytes built here.
    /// </summary>
    private static (byte[] Bytes, string Name) Compress(byte[] content, string compression, string name) => compression switch
    {
        "none" => (content, name),
        "zlib" => (CompressionFixtures.Zlib(content), name + ".z"),
        "gzip" => (CompressionFixtures.Gzip(content), name + ".gz"),
        "xz" => (XzBuilder.Build(content), name + ".xz"),
        "bz2" => (PythonCompress(content, "bz2.compress(data)"), name + ".bz2"),
        "lzma" => (PythonCompress(content, "lzma.compress(data, format=lzma.FORMAT_ALONE)"), name + ".lzma"),
        _ => throw new ArgumentOutOfRangeException(nameof(compression)),
    };

    private static byte[] PythonCompress(byte[] content, string expression)
    {
        using var process = Process.Start(new ProcessStartInfo("python3", ["-c", $"import sys, bz2, lzma; data = sys.stdin.buffer.read(); sys.stdout.buffer.write({expression})"])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        })!;
        var output = new MemoryStream();
        var copy = process.StandardOutput.BaseStream.CopyToAsync(output);
        process.StandardInput.BaseStream.Write(content);
        process.StandardInput.Close();
        copy.GetAwaiter().GetResult();
        process.WaitForExit();
        process.ExitCode.Should().Be(0);
        return output.ToArray();
    }
}
