using Rampart.Core;
using Rampart.TestKit;

namespace Rampart.Scanning.Tests.Analyzers.Pickle;

/// <summary>
/// copyreg's extension registry is process-wide: a call to copyreg.add_extension (or a write into
/// copyreg._inverted_registry) earlier in the stream decides what a later EXT1/EXT2/EXT4 imports.
/// </summary>
public sealed class CopyregExtensionTests
{
    public static TheoryData<string, int, bool> Variants()
    {
        var data = new TheoryData<string, int, bool>();
        foreach (var ext in (string[])["EXT1", "EXT2", "EXT4"])
        {
            foreach (var protocol in (int[])[2, 4])
            {
                data.Add(ext, protocol, false);
                data.Add(ext, protocol, true);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public async Task Scan_AddExtensionThenExt_IsMaliciousNamingTheRegisteredCallable(string ext, int protocol, bool memoisedArgs)
    {
        var code = ext switch { "EXT1" => 0xF0, "EXT2" => 0x1234, _ => 0x123456 };
        var b = new PickleBuilder().Proto(protocol);
        Callable(b, protocol, "copyreg", "add_extension");
        if (memoisedArgs)
        {
            // The strings come back through the memo, as a pickler writes repeated strings.
            b.ShortBinUnicode("os").BinPut(1).ShortBinUnicode("system").BinPut(2).Pop().Pop().BinGet(1).BinGet(2);
        }
        else
        {
            b.ShortBinUnicode("os").ShortBinUnicode("system");
        }

        b.BinInt(code).Tuple3().Reduce().Pop();
        _ = ext switch
        {
            "EXT1" => b.Ext1((byte)code),
            "EXT2" => b.Ext2((ushort)code),
            _ => b.Ext4(code),
        };
        var bytes = b.ShortBinUnicode("touch /tmp/rampart-marker").Tuple1().Reduce().Stop().ToArray();

        var report = await ScanHelper.ScanBytesAsync(bytes, "model.pkl");

        report.Artifacts[0].Verdict.Should().Be(Verdict.Malicious);
        var system = report.Findings.Should().ContainSingle(f => f.Property("name") == "os.system").Subject;
        system.RuleId.Should().Be("RAMP-PKL-101");
        system.Property("opcode").Should().Be(ext);
        system.Property("via").Should().Contain("copyreg.add_extension");
        report.Findings.Should().Contain(f => f.Property("name") == "copyreg.add_extension", "the registration itself stays flagged");
        report.Findings.Should().NotContain(f => f.RuleId == "RAMP-PKL-003", "the code is resolved");
    }

    [Theory]
    [InlineData(2)]
    [InlineData(4)]
    public async Task Scan_WriteIntoInvertedRegistry_ResolvesTheExtension(int protocol)
    {
        var b = new PickleBuilder().Proto(protocol);
        Callable(b, protocol, "copyreg", "_inverted_registry");
        var bytes = b.BinInt1(9).ShortBinUnicode("subprocess").ShortBinUnicode("getoutput").Tuple2().SetItem().Pop()
            .Ext1(9).ShortBinUnicode("id").Tuple1().Reduce().Stop().ToArray();

        var report = await ScanHelper.ScanBytesAsync(bytes, "model.pkl");

        report.Artifacts[0].Verdict.Should().Be(Verdict.Malicious);
        report.Findings.Should().Contain(f => f.Property("name") == "subprocess.getoutput" && f.Property("opcode") == "EXT1");
    }

    [Fact]
    public async Task Scan_Python2NamesRegisteredUnderProtocol2_AreFixedUpAsFindClassDoes()
    {
        var bytes = new PickleBuilder().Proto(2).Global("copy_reg", "add_extension")
            .ShortBinString("__builtin__").ShortBinString("eval").BinInt1(3).Tuple3().Reduce().Pop()
            .Ext1(3).ShortBinUnicode("1").Tuple1().Reduce().Stop().ToArray();

        var report = await ScanHelper.ScanBytesAsync(bytes, "model.pkl");

        report.Findings.Should().Contain(f => f.Property("name") == "builtins.eval" && f.Property("opcode") == "EXT1" && f.Verdict == Verdict.Malicious);
    }

    [Fact]
    public async Task Scan_RegistrationInAnEarlierPickleOfTheStream_ResolvesALaterExt()
    {
        var first = new PickleBuilder().Proto(2).Global("copyreg", "add_extension")
            .ShortBinUnicode("os").ShortBinUnicode("system").BinInt1(5).Tuple3().Reduce().Stop().ToArray();
        var second = new PickleBuilder().Proto(2).Ext1(5).ShortBinUnicode("id").Tuple1().Reduce().Stop().ToArray();

        var report = await ScanHelper.ScanBytesAsync([.. first, .. second], "model.pkl");

        report.Findings.Should().Contain(f => f.Property("name") == "os.system" && f.Property("opcode") == "EXT1");
    }

    [Fact]
    public async Task Scan_ExtWithACodeRegisteredElsewhere_StaysUnresolved()
    {
        var bytes = new PickleBuilder().Proto(2).Global("copyreg", "add_extension")
            .ShortBinUnicode("os").ShortBinUnicode("system").BinInt1(5).Tuple3().Reduce().Pop()
            .Ext1(6).EmptyTuple().Reduce().Stop().ToArray();

        var report = await ScanHelper.ScanBytesAsync(bytes, "model.pkl");

        report.Findings.Should().Contain(f => f.RuleId == "RAMP-PKL-003");
        report.Findings.Should().NotContain(f => f.Property("name") == "os.system");
    }

    private static void Callable(PickleBuilder b, int protocol, string module, string name)
    {
        if (protocol >= 4)
        {
            b.StackGlobal(module, name);
        }
        else
        {
            b.Global(module, name);
        }

        b.BinPut(0);
    }
}
