using Rampart.Scanning.Analyzers.Pickle;

namespace Rampart.Scanning.Tests.Analyzers.Pickle;

/// <summary>The compact memo gives back what was stored, for every kind of value and every shape of key.</summary>
public sealed class PickleMemoTests
{
    public static TheoryData<string, string, bool> Strings() => new()
    {
        { "ascii", "SHORT_BINUNICODE", false },
        { "caf\u00e9 latin-1", "BINSTRING", false },
        { "\u4e2d\u6587 wide", "BINUNICODE", false },
        { "lone \ud800 surrogate", "UNICODE", false },
        { "a prefix", "BINUNICODE8", true },
        { string.Empty, "STRING", false },
    };

    [Theory]
    [MemberData(nameof(Strings))]
    public void Get_StoredString_ComesBackExactlyAndMarkedAsFromTheMemo(string text, string source, bool truncated)
    {
        var memo = new PickleMemo();

        memo.Put(3, new PStr(text, truncated, source), 0);

        var back = memo.Get(3).Should().BeOfType<PStr>().Subject;
        back.Value.Should().Be(text);
        back.Source.Should().Be(source);
        back.Truncated.Should().Be(truncated);
        back.ViaMemo.Should().BeTrue();
    }

    [Theory]
    [InlineData(0L)]
    [InlineData(-1L)]
    [InlineData(1025L)]
    [InlineData(long.MinValue / 32)]
    [InlineData(long.MaxValue / 32)]
    public void Get_StoredInteger_ComesBack(long value)
    {
        var memo = new PickleMemo();

        memo.Put(0, PInt.Of(value), 0);

        memo.Get(0).Should().BeOfType<PInt>().Which.Value.Should().Be(value);
    }

    [Fact]
    public void Get_AtomsBytesAndHugeIntegers_ComeBack()
    {
        var memo = new PickleMemo();
        PValue[] values = [PAtom.None, PAtom.True, PAtom.False, PAtom.Float, PAtom.Buffer, PInt.Big, PInt.Of(long.MaxValue), new PBytes(1L << 40, mutable: true)];

        for (var i = 0; i < values.Length; i++)
        {
            memo.Put(i, values[i], 0);
        }

        memo.Get(0).Should().BeSameAs(PAtom.None);
        memo.Get(4).Should().BeSameAs(PAtom.Buffer);
        memo.Get(5).Should().BeSameAs(PInt.Big);
        memo.Get(6).Should().BeOfType<PInt>().Which.Value.Should().Be(long.MaxValue);
        memo.Get(7).Should().BeOfType<PBytes>().Which.Should().Match<PBytes>(b => b.Length == 1L << 40 && b.Mutable);
    }

    [Theory]
    [InlineData(new long[] { 0, 1, 2 })]
    [InlineData(new long[] { 1023, 1024, 17_407, 17_408, 60_000 })]
    [InlineData(new long[] { 5, 4_000_000_000, 6, 70_000 })]
    [InlineData(new long[] { 4_000_000_000, 3 })]
    public void Put_KeysDenseAndSparse_AreAllFoundAndCountedOnce(long[] keys)
    {
        var memo = new PickleMemo();

        foreach (var key in keys)
        {
            memo.Put(key, PInt.Of(key % 1000), 0).Should().BeTrue();
            memo.Put(key, PInt.Of(key % 1000), 0).Should().BeFalse("the key is already there");
        }

        memo.Count.Should().Be(keys.Length);
        foreach (var key in keys)
        {
            memo.Get(key).Should().BeOfType<PInt>().Which.Value.Should().Be(key % 1000);
        }

        memo.Get(123_456).Should().BeNull();
    }

    [Fact]
    public void Put_ContainersPastTheBudget_AreKeptAsKindAndCountOnly()
    {
        var memo = new PickleMemo();
        var small = new PSeq(SeqKind.Dict, [new PStr("shape", false, "SHORT_BINUNICODE"), PInt.Of(3)]);
        memo.Put(0, small, 0);
        memo.NoteKeptItems((int)(PickleMemo.BaseBudgetBytes / 8) + 1);
        var dtype = new PObject(new PGlobal("numpy", "dtype", resolved: true), new PSeq(SeqKind.Tuple, [new PStr("f8", false, "SHORT_BINUNICODE")]), "REDUCE");

        memo.Put(1, new PSeq(SeqKind.List, [PInt.Of(1), PInt.Of(2)]), 0);
        memo.Put(2, new PObject(new PGlobal("m", "C", resolved: true), new PSeq(SeqKind.Tuple), "REDUCE"), 0);
        memo.Put(3, dtype, 0);

        memo.Get(0).Should().BeSameAs(small, "values stored within the budget stay whole");
        var elided = memo.Get(1).Should().BeOfType<PSeq>().Subject;
        elided.IsElided.Should().BeTrue();
        elided.Count.Should().Be(2);
        elided.Items.Should().BeEmpty();
        elided.Lookup("shape").Should().BeNull("an elided dict answers no lookups, so readers fail closed");
        memo.Get(2).Should().BeOfType<PObject>().Which.Args.Should().BeNull();
        memo.Get(3).Should().BeSameAs(dtype, "numpy.dtype objects are what joblib's arrays need, and are never elided");
    }
}
