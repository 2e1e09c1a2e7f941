using Rampart.Core;
using Rampart.Scanning.Analyzers.Pickle;
using Rampart.Scanning.IO;
using Rampart.TestKit;

namespace Rampart.Scanning.Tests.Analyzers.Pickle;

public sealed class PickleMachineTests
{
    private static PickleBuilder P(int protocol = 2) => new PickleBuilder().Proto(protocol);

    public static TheoryData<string, byte[], string> ValidPickles() => new()
    {
        { "NONE", P().None().Stop().ToArray(), "None" },
        { "NEWTRUE", P().NewTrue().Stop().ToArray(), "True" },
        { "NEWFALSE", P().NewFalse().Stop().ToArray(), "False" },
        { "INT 01 is True", new PickleBuilder().IntText("01").Stop().ToArray(), "True" },
        { "INT 00 is False", new PickleBuilder().IntText("00").Stop().ToArray(), "False" },
        { "INT decimal", new PickleBuilder().IntText("-42").Stop().ToArray(), "-42" },
        { "INT hex", new PickleBuilder().IntText("0x10").Stop().ToArray(), "16" },
        { "INT huge", new PickleBuilder().IntText("123456789012345678901234567890").Stop().ToArray(), "int" },
        { "LONG with L", new PickleBuilder().LongText("123L").Stop().ToArray(), "123" },
        { "BININT", P().BinInt(-5).Stop().ToArray(), "-5" },
        { "BININT1", P().BinInt1(200).Stop().ToArray(), "200" },
        { "BININT2", P().BinInt2(65535).Stop().ToArray(), "65535" },
        { "LONG1 negative", P().Long1(0xff).Stop().ToArray(), "-1" },
        { "LONG1 empty", P().Long1().Stop().ToArray(), "0" },
        { "LONG1 positive", P().Long1(0x00, 0x01).Stop().ToArray(), "256" },
        { "LONG4", P().Long4(0x01, 0x00).Stop().ToArray(), "1" },
        { "FLOAT", new PickleBuilder().FloatText("1.5").Stop().ToArray(), "float" },
        { "FLOAT inf", new PickleBuilder().FloatText("-inf").Stop().ToArray(), "float" },
        { "BINFLOAT", P().BinFloat(2.5).Stop().ToArray(), "float" },
        { "STRING escapes", new PickleBuilder().QuotedString(@"'a\x41\n\'b'").Stop().ToArray(), "'aA\n'b'" },
        { "STRING double quotes", new PickleBuilder().QuotedString("\"it's\"").Stop().ToArray(), "'it's'" },
        { "STRING octal", new PickleBuilder().QuotedString(@"'\101\0'").Stop().ToArray(), "'A\0'" },
        { "BINSTRING", P().BinString("abc").Stop().ToArray(), "'abc'" },
        { "SHORT_BINSTRING", P().ShortBinString("xy").Stop().ToArray(), "'xy'" },
        { "UNICODE raw escape", new PickleBuilder().Unicode(@"caf\u00e9 \U0001F600").Stop().ToArray(), "'café 😀'" },
        { "BINUNICODE", P().BinUnicode("héllo").Stop().ToArray(), "'héllo'" },
        { "SHORT_BINUNICODE", P(4).ShortBinUnicode("k").Stop().ToArray(), "'k'" },
        { "BINUNICODE8", P(4).BinUnicode8("long").Stop().ToArray(), "'long'" },
        { "SHORT_BINBYTES", P(3).ShortBinBytes([1, 2, 3]).Stop().ToArray(), "bytes[3]" },
        { "BINBYTES", P(3).BinBytes(new byte[300]).Stop().ToArray(), "bytes[300]" },
        { "BINBYTES8", P(4).BinBytes8(new byte[10]).Stop().ToArray(), "bytes[10]" },
        { "BYTEARRAY8", P(5).ByteArray8([1, 2]).Stop().ToArray(), "bytearray[2]" },
        { "EMPTY_TUPLE", P().EmptyTuple().Stop().ToArray(), "tuple[0]" },
        { "TUPLE", P().Mark().None().None().Tuple().Stop().ToArray(), "tuple[2]" },
        { "TUPLE1", P().None().Tuple1().Stop().ToArray(), "tuple[1]" },
        { "TUPLE2", P().None().None().Tuple2().Stop().ToArray(), "tuple[2]" },
        { "TUPLE3", P().None().None().None().Tuple3().Stop().ToArray(), "tuple[3]" },
        { "EMPTY_LIST APPEND", P().EmptyList().None().Append().Stop().ToArray(), "list[1]" },
        { "APPENDS", P().EmptyList().Mark().None().None().None().Appends().Stop().ToArray(), "list[3]" },
        { "LIST", P().Mark().None().List().Stop().ToArray(), "list[1]" },
        { "SETITEM", P().EmptyDict().BinUnicode("k").None().SetItem().Stop().ToArray(), "dict[2]" },
        { "SETITEMS", P().EmptyDict().Mark().BinUnicode("a").None().BinUnicode("b").None().SetItems().Stop().ToArray(), "dict[4]" },
        { "DICT", new PickleBuilder().Mark().QuotedString("'k'").None().Dict().Stop().ToArray(), "dict[2]" },
        { "EMPTY_SET ADDITEMS", P(4).EmptySet().Mark().BinInt1(1).BinInt1(2).AddItems().Stop().ToArray(), "set[2]" },
        { "FROZENSET", P(4).Mark().BinInt1(1).BinInt1(2).FrozenSet().Stop().ToArray(), "frozenset[2]" },
        { "DUP", P().None().Dup().Tuple2().Stop().ToArray(), "tuple[2]" },
        { "POP", P().None().BinInt1(7).Pop().Stop().ToArray(), "None" },
        { "POP on an empty stack pops the mark", P().None().Mark().Pop().Stop().ToArray(), "None" },
        { "POP_MARK", P().None().Mark().BinInt1(1).BinInt1(2).PopMark().Stop().ToArray(), "None" },
        { "PUT GET", new PickleBuilder().QuotedString("'v'").Put(3).Pop().Get(3).Stop().ToArray(), "'v'" },
        { "BINPUT BINGET", P().BinInt1(9).BinPut(1).Pop().BinGet(1).Stop().ToArray(), "9" },
        { "LONG_BINPUT sparse", P().BinInt1(9).LongBinPut(1_000_000).Pop().LongBinGet(1_000_000).Stop().ToArray(), "9" },
        { "MEMOIZE counts entries, not the highest index", P(4).BinInt1(5).LongBinPut(500).BinInt1(6).Memoize().Pop().Pop().BinGet(1).Stop().ToArray(), "6" },
        { "sparse then dense memo", P(4).BinInt1(1).LongBinPut(4_000_000_000).BinInt1(2).Memoize().BinInt1(3).BinPut(2).Pop().Pop().Pop().LongBinGet(4_000_000_000).BinGet(1).BinGet(2).Tuple3().Stop().ToArray(), "tuple[3]" },
        { "PUT overwrites", P().BinInt1(1).BinPut(0).BinInt1(2).BinPut(0).Pop().Pop().BinGet(0).Stop().ToArray(), "2" },
        { "FRAME", P(4).Frame(3).None().Stop().ToArray(), "None" },
        { "NEXT_BUFFER READONLY_BUFFER", P(5).NextBuffer().ReadOnlyBuffer().Stop().ToArray(), "buffer" },
        { "PERSID", new PickleBuilder().PersId("storage0").Stop().ToArray(), "persistent('storage0')" },
        { "BINPERSID", P().BinUnicode("k").BinPersId().Stop().ToArray(), "persistent('k')" },
        { "GLOBAL", P().Global("collections", "OrderedDict").Stop().ToArray(), "collections.OrderedDict" },
        { "STACK_GLOBAL", P(4).StackGlobal("collections", "OrderedDict").Stop().ToArray(), "collections.OrderedDict" },
        { "REDUCE", P().Global("collections", "OrderedDict").EmptyTuple().Reduce().Stop().ToArray(), "collections.OrderedDict(...)" },
        { "BUILD", P().Global("collections", "OrderedDict").EmptyTuple().Reduce().EmptyDict().Build().Stop().ToArray(), "collections.OrderedDict(...)" },
        { "NEWOBJ", P().Global("uuid", "UUID").EmptyTuple().NewObj().Stop().ToArray(), "uuid.UUID(...)" },
        { "NEWOBJ_EX", P(4).Global("uuid", "UUID").EmptyTuple().EmptyDict().NewObjWithKeywords().Stop().ToArray(), "uuid.UUID(...)" },
        { "OBJ", P(1).Mark().Global("uuid", "UUID").None().Obj().Stop().ToArray(), "uuid.UUID(...)" },
        { "INST", new PickleBuilder().Mark().None().Inst("uuid", "UUID").Stop().ToArray(), "uuid.UUID(...)" },
        { "EXT1", P().Ext1(1).Stop().ToArray(), "<unresolved global>" },
        { "EXT2", P().Ext2(300).Stop().ToArray(), "<unresolved global>" },
        { "EXT4", P().Ext4(70000).Stop().ToArray(), "<unresolved global>" },
    };

    [Theory]
    [MemberData(nameof(ValidPickles))]
    public void Run_ValidOpcode_EmulatesTheUnpicklerResult(string what, byte[] bytes, string expected)
    {
        var (result, _) = PickleTestRunner.Run(bytes);

        result.Error.Should().BeNull(what);
        result.Completed.Should().BeTrue(what);
        result.Value!.Describe().Should().Be(expected, what);
    }

    public static TheoryData<string, byte[], string, long, string> MalformedPickles() => new()
    {
        { "empty", [], "ends before STOP", 0, "end of stream" },
        { "no STOP", P().None().ToArray(), "ends before STOP", 3, "end of stream" },
        { "unknown opcode", P().Raw(0xff).ToArray(), "invalid load key 0xff", 2, "0xff" },
        { "stack underflow", P().Tuple1().ToArray(), "stack underflow", 2, "TUPLE1" },
        { "REDUCE on empty stack", P().EmptyTuple().Reduce().ToArray(), "stack underflow", 3, "REDUCE" },
        { "no MARK", P().None().PopMark().ToArray(), "could not find MARK", 3, "POP_MARK" },
        { "underflow below the mark", P().None().Mark().Tuple1().ToArray(), "stack underflow", 4, "TUPLE1" },
        { "bad memo key", P().BinGet(5).ToArray(), "memo value not found at index 5", 2, "BINGET" },
        { "truncated argument", P().Op('X').Raw(100, 0, 0, 0).Raw(1, 2, 3).ToArray(), "truncated", 2, "BINUNICODE" },
        { "unsupported protocol", new PickleBuilder().Proto(6).None().Stop().ToArray(), "unsupported pickle protocol: 6", 0, "PROTO" },
        { "unquoted STRING", new PickleBuilder().QuotedString("abc").Stop().ToArray(), "must be quoted", 0, "STRING" },
        { "bad \\x escape", new PickleBuilder().QuotedString(@"'\xZZ'").Stop().ToArray(), "invalid \\x escape", 0, "STRING" },
        { "LONG4 negative length", P().Op(0x8b).Raw(0xff, 0xff, 0xff, 0xff).ToArray(), "negative byte count", 2, "LONG4" },
        { "INT not a number", new PickleBuilder().IntText("abc").Stop().ToArray(), "invalid literal", 0, "INT" },
        { "INT leading zeros", new PickleBuilder().IntText("012").Stop().ToArray(), "leading zeros", 0, "INT" },
        { "FLOAT not a number", new PickleBuilder().FloatText("1.2.3").Stop().ToArray(), "could not convert", 0, "FLOAT" },
        { "DICT odd", new PickleBuilder().Mark().None().Dict().Stop().ToArray(), "odd number", 2, "DICT" },
        { "SETITEMS odd", P().EmptyDict().Mark().None().SetItems().Stop().ToArray(), "odd number", 5, "SETITEMS" },
        { "STACK_GLOBAL of ints", P(4).BinInt1(1).BinInt1(2).StackGlobal().Stop().ToArray(), "requires str", 6, "STACK_GLOBAL" },
        { "OBJ without class", P(1).Mark().Obj().Stop().ToArray(), "mark is empty", 3, "OBJ" },
        { "huge BINBYTES8", P(4).BinBytes8Header(0x7FFF_FFFF_FFFF_FFFF).Stop().ToArray(), "truncated", 2, "BINBYTES8" },
        { "BINUNICODE8 beyond max size", P(4).Op(0x8d).Raw(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff).ToArray(), "exceeds", 2, "BINUNICODE8" },
        { "GLOBAL without newline", P().Op('c').Raw("os"u8.ToArray()).ToArray(), "no end of line", 2, "GLOBAL" },
        { "negative PUT", new PickleBuilder().None().Op('p').Raw("-1\n"u8.ToArray()).Stop().ToArray(), "negative PUT", 1, "PUT" },
        { "PUT on empty stack", P().BinPut(0).ToArray(), "stack underflow", 2, "BINPUT" },
        { "APPENDS without a list below the mark", P().Mark().None().Appends().ToArray(), "stack underflow", 4, "APPENDS" },
        { "APPENDS without a mark", P().EmptyList().None().Appends().ToArray(), "could not find MARK", 4, "APPENDS" },
    };

    [Theory]
    [MemberData(nameof(MalformedPickles))]
    public void Run_MalformedPickle_FailsWithOffsetAndOpcode(string what, byte[] bytes, string message, long offset, string opcode)
    {
        var (result, _) = PickleTestRunner.Run(bytes);

        result.Completed.Should().BeFalse(what);
        result.Error.Should().NotBeNull(what);
        result.Error!.Message.Should().Contain(message, what);
        result.Error.Offset.Should().Be(offset, what);
        result.ErrorOpcode.Should().Be(opcode, what);
    }

    [Fact]
    public void Run_StackGlobalFromMemo_RecordsTheResolvedNameAndHowItWasReached()
    {
        var bytes = P(4).ShortBinUnicode("os").Memoize().ShortBinUnicode("system").Memoize().Pop().Pop()
            .BinGet(0).BinGet(1).StackGlobal().Stop().ToArray();

        var (result, seen) = PickleTestRunner.Run(bytes);

        result.Completed.Should().BeTrue();
        var use = seen.Globals.Should().ContainSingle().Subject;
        use.FullName.Should().Be("os.system");
        use.Opcode.Should().Be("STACK_GLOBAL");
        use.Via.Should().Contain("via memo").And.Contain("SHORT_BINUNICODE");
        use.Offset.Should().Be(bytes.Length - 2);
    }

    [Fact]
    public void Run_StackGlobalStringsFromOtherOpcodes_ResolvesThem()
    {
        var bytes = new PickleBuilder().Proto(4).BinUnicode8("subprocess").Unicode("Popen").StackGlobal().Stop().ToArray();

        var (_, seen) = PickleTestRunner.Run(bytes);

        seen.Globals.Single().FullName.Should().Be("subprocess.Popen");
        seen.Globals.Single().Via.Should().Contain("BINUNICODE8").And.Contain("UNICODE");
    }

    [Fact]
    public void Run_DottedStackGlobal_KeepsTheWholeAttributePath()
    {
        var (_, seen) = PickleTestRunner.Run(P(4).StackGlobal("torch.nn.modules.module", "os.system").Stop().ToArray());

        var use = seen.Globals.Single();
        use.Module.Should().Be("torch.nn.modules.module");
        use.Name.Should().Be("os.system");
    }

    [Fact]
    public void Run_Python2NamesBelowProtocol3_AreFixedUpLikePython3()
    {
        var (_, seen) = PickleTestRunner.Run(P(2).Global("__builtin__", "eval").Global("__builtin__", "reduce").Tuple2().Stop().ToArray());

        seen.Globals.Select(g => g.FullName).Should().BeEquivalentTo("builtins.eval", "functools.reduce");
        seen.Globals.Select(g => g.RawName).Should().BeEquivalentTo("__builtin__.eval", "__builtin__.reduce");
    }

    [Fact]
    public void Run_Python2NamesAtProtocol4_StayAsWritten()
    {
        var (_, seen) = PickleTestRunner.Run(P(4).Global("__builtin__", "eval").Stop().ToArray());

        seen.Globals.Single().FullName.Should().Be("__builtin__.eval");
    }

    [Fact]
    public void Run_InstAndExtensions_AreRecorded()
    {
        var bytes = new PickleBuilder().Mark().QuotedString("'id'").Inst("os", "system").Pop().Proto(2).Ext2(513).Stop().ToArray();

        var (result, seen) = PickleTestRunner.Run(bytes);

        result.Completed.Should().BeTrue();
        seen.Globals.Single().Opcode.Should().Be("INST");
        seen.Extensions.Should().ContainSingle(e => e.Opcode == "EXT2" && e.Detail == "513");
    }

    [Fact]
    public void Run_StackGlobalOnCallResults_IsRecordedAsComputed()
    {
        var bytes = P(4).StackGlobal("builtins", "str").ShortBinUnicode("os").Tuple1().Reduce().ShortBinUnicode("system").StackGlobal().Stop().ToArray();

        var (result, seen) = PickleTestRunner.Run(bytes);

        result.Completed.Should().BeTrue();
        seen.Dynamic.Should().ContainSingle();
    }

    [Fact]
    public void Run_PersistentIdsAndBuffers_AreCounted()
    {
        var bytes = P(5).BinUnicode("a").BinPersId().NextBuffer().Tuple2().Stop().ToArray();

        var (_, seen) = PickleTestRunner.Run(bytes);

        seen.PersistentIds.Should().Be(1);
        seen.OutOfBandBuffers.Should().Be(1);
    }

    [Fact]
    public void Run_LongString_KeepsAPrefixWithoutFailing()
    {
        var text = new string('a', PickleMachine.KeptStringBytes + 10);

        var (result, _) = PickleTestRunner.Run(P().BinUnicode(text).Stop().ToArray());

        result.Completed.Should().BeTrue();
        var value = result.Value.Should().BeOfType<PStr>().Subject;
        value.Truncated.Should().BeTrue();
        value.Value.Length.Should().Be(PickleMachine.KeptStringBytes);
    }

    [Fact]
    public void Run_MoreOpcodesThanTheLimit_ThrowsLimitExceeded()
    {
        var builder = P();
        for (var i = 0; i < 100; i++)
        {
            builder.None().Pop();
        }

        var act = () => PickleTestRunner.Run(builder.None().Stop().ToArray(), ScanLimits.Default with { MaxPickleOpcodes = 50 });

        act.Should().Throw<LimitExceededException>().Which.LimitName.Should().Be("max-pickle-opcodes");
    }

    [Fact]
    public void Run_DeepMarkNesting_ThrowsLimitExceededAtTheStackLimit()
    {
        var builder = P();
        for (var i = 0; i < 5000; i++)
        {
            builder.Mark();
        }

        var act = () => PickleTestRunner.Run(builder.ToArray(), ScanLimits.Default with { MaxPickleStack = 1000 });

        act.Should().Throw<LimitExceededException>().Which.LimitName.Should().Be("max-pickle-stack");
    }

    [Fact]
    public void Run_LargeMemo_ThrowsLimitExceeded()
    {
        var builder = P().None();
        for (uint i = 0; i < 200; i++)
        {
            builder.LongBinPut(i * 7919);
        }

        var act = () => PickleTestRunner.Run(builder.Stop().ToArray(), ScanLimits.Default with { MaxPickleStack = 100 });

        act.Should().Throw<LimitExceededException>().Which.LimitName.Should().Be("max-pickle-stack");
    }

    [Fact]
    public void Run_MemoOverwrites_DoNotCountTowardsTheLimitTwice()
    {
        var builder = P().None();
        for (var i = 0; i < 50; i++)
        {
            builder.BinPut(0).LongBinPut(1_000_000);
        }

        var (result, _) = PickleTestRunner.Run(builder.Stop().ToArray(), ScanLimits.Default with { MaxPickleStack = 2 });

        result.Completed.Should().BeTrue();
    }

    [Fact]
    public void Run_CancelledToken_StopsALongStream()
    {
        var builder = P();
        for (var i = 0; i < 70_000; i++)
        {
            builder.None().Pop();
        }

        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        var machine = new PickleMachine(new PickleInput(new MemoryStream(builder.None().Stop().ToArray())), new PickleObservations(), ScanLimits.Default, null, cancelled.Token);

        var act = () => machine.Run();

        act.Should().Throw<OperationCanceledException>();
    }

    [Fact]
    public void Run_ManyOpcodesAcrossBufferRefills_CompletesWithExactCount()
    {
        var builder = P(4).EmptyList();
        for (var i = 0; i < 20_000; i++)
        {
            builder.Mark().BinFloat(i).BinUnicode("x").BinBytes(new byte[i % 50]).Appends();
        }

        var bytes = builder.Stop().ToArray();
        var (result, seen) = PickleTestRunner.Run(bytes);

        result.Completed.Should().BeTrue();
        result.Value!.Describe().Should().Be("list[60000]");
        seen.Opcodes.Should().Be(2 + (20_000 * 5) + 1);
    }
}
