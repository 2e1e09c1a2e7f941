using System.Buffers.Binary;
using System.Text;

namespace Rampart.TestKit;

/// <summary>
/// Writes pickle opcodes one by one, so tests can build exactly the stream they need (benign, malicious,
/// malformed) without running Python. Method names follow the opcode names of CPython's pickletools.
/// </summary>
public sealed class PickleBuilder
{
    private readonly List<byte> _bytes = [];

    public int Length => _bytes.Count;

    public byte[] ToArray() => [.. _bytes];

    public PickleBuilder Raw(params byte[] bytes)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        _bytes.AddRange(bytes);
        return this;
    }

    public PickleBuilder Op(char opcode) => Raw((byte)opcode);

    public PickleBuilder Op(byte opcode) => Raw(opcode);

    private PickleBuilder Line(string text) => Raw(Encoding.UTF8.GetBytes(text + "\n"));

    private PickleBuilder U32(uint value)
    {
        var b = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(b, value);
        return Raw(b);
    }

    private PickleBuilder U64(ulong value)
    {
        var b = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(b, value);
        return Raw(b);
    }

    public PickleBuilder Proto(int version) => Raw(0x80, (byte)version);

    public PickleBuilder Frame(ulong length) => Op(0x95).U64(length);

    public PickleBuilder Stop() => Op('.');

    public PickleBuilder Mark() => Op('(');

    public PickleBuilder Pop() => Op('0');

    public PickleBuilder PopMark() => Op('1');

    public PickleBuilder Dup() => Op('2');

    public PickleBuilder None() => Op('N');

    public PickleBuilder NewTrue() => Op(0x88);

    public PickleBuilder NewFalse() => Op(0x89);

    public PickleBuilder IntText(string text) => Op('I').Line(text);

    public PickleBuilder LongText(string text) => Op('L').Line(text);

    public PickleBuilder BinInt(int value) => Op('J').U32(unchecked((uint)value));

    public PickleBuilder BinInt1(byte value) => Raw((byte)'K', value);

    public PickleBuilder BinInt2(ushort value) => Raw((byte)'M', (byte)value, (byte)(value >> 8));

    public PickleBuilder Long1(params byte[] littleEndian) => Raw(0x8a, (byte)littleEndian.Length).Raw(littleEndian);

    public PickleBuilder Long4(params byte[] littleEndian) => Op(0x8b).U32((uint)littleEndian.Length).Raw(littleEndian);

    public PickleBuilder FloatText(string text) => Op('F').Line(text);

    public PickleBuilder BinFloat(double value)
    {
        var b = new byte[8];
        BinaryPrimitives.WriteDoubleBigEndian(b, value);
        return Op('G').Raw(b);
    }

    /// <summary>Protocol 0 STRING: <paramref name="quotedLiteral"/> is written as is, quotes and escapes included.</summary>
    public PickleBuilder QuotedString(string quotedLiteral) => Op('S').Line(quotedLiteral);

    public PickleBuilder BinString(string text) => Op('T').U32((uint)text.Length).Raw(Encoding.Latin1.GetBytes(text));

    public PickleBuilder ShortBinString(string text) => Raw((byte)'U', (byte)text.Length).Raw(Encoding.Latin1.GetBytes(text));

    /// <summary>Protocol 0 UNICODE: <paramref name="rawUnicodeEscaped"/> is written as is (\uXXXX escapes allowed).</summary>
    public PickleBuilder Unicode(string rawUnicodeEscaped) => Op('V').Raw(Encoding.Latin1.GetBytes(rawUnicodeEscaped + "\n"));

    public PickleBuilder BinUnicode(string text)
    {
        var b = Encoding.UTF8.GetBytes(text);
        return Op('X').U32((uint)b.Length).Raw(b);
    }

    public PickleBuilder ShortBinUnicode(string text)
    {
        var b = Encoding.UTF8.GetBytes(text);
        return Raw(0x8c, (byte)b.Length).Raw(b);
    }

    public PickleBuilder BinUnicode8(string text)
    {
        var b = Encoding.UTF8.GetBytes(text);
        return Op(0x8d).U64((ulong)b.Length).Raw(b);
    }

    public PickleBuilder ShortBinBytes(byte[] data) => Raw((byte)'C', (byte)data.Length).Raw(data);

    public PickleBuilder BinBytes(byte[] data) => Op('B').U32((uint)data.Length).Raw(data);

    public PickleBuilder BinBytes8(byte[] data) => Op(0x8e).U64((ulong)data.Length).Raw(data);

    /// <summary>BINBYTES8 with a declared length that need not match what follows (for malformed inputs).</summary>
    public PickleBuilder BinBytes8Header(ulong declaredLength) => Op(0x8e).U64(declaredLength);

    public PickleBuilder ByteArray8(byte[] data) => Op(0x96).U64((ulong)data.Length).Raw(data);

    public PickleBuilder NextBuffer() => Op(0x97);

    public PickleBuilder ReadOnlyBuffer() => Op(0x98);

    public PickleBuilder EmptyTuple() => Op(')');

    public PickleBuilder Tuple() => Op('t');

    public PickleBuilder Tuple1() => Op(0x85);

    public PickleBuilder Tuple2() => Op(0x86);

    public PickleBuilder Tuple3() => Op(0x87);

    public PickleBuilder EmptyList() => Op(']');

    public PickleBuilder List() => Op('l');

    public PickleBuilder Append() => Op('a');

    public PickleBuilder Appends() => Op('e');

    public PickleBuilder EmptyDict() => Op('}');

    public PickleBuilder Dict() => Op('d');

    public PickleBuilder SetItem() => Op('s');

    public PickleBuilder SetItems() => Op('u');

    public PickleBuilder EmptySet() => Op(0x8f);

    public PickleBuilder AddItems() => Op(0x90);

    public PickleBuilder FrozenSet() => Op(0x91);

    public PickleBuilder Put(int index) => Op('p').Line(index.ToString(System.Globalization.CultureInfo.InvariantCulture));

    public PickleBuilder BinPut(byte index) => Raw((byte)'q', index);

    public PickleBuilder LongBinPut(uint index) => Op('r').U32(index);

    public PickleBuilder Memoize() => Op(0x94);

    public PickleBuilder Get(int index) => Op('g').Line(index.ToString(System.Globalization.CultureInfo.InvariantCulture));

    public PickleBuilder BinGet(byte index) => Raw((byte)'h', index);

    public PickleBuilder LongBinGet(uint index) => Op('j').U32(index);

    public PickleBuilder Global(string module, string name) => Op('c').Line(module).Line(name);

    public PickleBuilder StackGlobal() => Op(0x93);

    /// <summary>SHORT_BINUNICODE module, SHORT_BINUNICODE name, STACK_GLOBAL.</summary>
    public PickleBuilder StackGlobal(string module, string name) => ShortBinUnicode(module).ShortBinUnicode(name).StackGlobal();

    public PickleBuilder Inst(string module, string name) => Op('i').Line(module).Line(name);

    public PickleBuilder Obj() => Op('o');

    public PickleBuilder NewObj() => Op(0x81);

    public PickleBuilder NewObjWithKeywords() => Op(0x92);

    public PickleBuilder Reduce() => Op('R');

    public PickleBuilder Build() => Op('b');

    public PickleBuilder Ext1(byte code) => Raw(0x82, code);

    public PickleBuilder Ext2(ushort code) => Raw(0x83, (byte)code, (byte)(code >> 8));

    public PickleBuilder Ext4(int code) => Op(0x84).U32(unchecked((uint)code));

    public PickleBuilder PersId(string id) => Op('P').Line(id);

    public PickleBuilder BinPersId() => Op('Q');

    /// <summary>GLOBAL module.name, MARK, the string arguments, TUPLE, REDUCE: a call such as os.system("...").</summary>
    public PickleBuilder Call(string module, string name, params string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        Global(module, name).Mark();
        foreach (var arg in args)
        {
            BinUnicode(arg);
        }

        return Tuple().Reduce();
    }

    /// <summary>The classic payload: protocol 2, module.name(arg) and STOP.</summary>
    public static byte[] CallPickle(string module, string name, string arg) =>
        new PickleBuilder().Proto(2).Call(module, name, arg).Stop().ToArray();

    /// <summary>
    /// What torch.save puts in archive/data.pkl for a one-tensor state dict: an OrderedDict of
    /// _rebuild_tensor_v2 calls whose storages are persistent ids.
    /// </summary>
    public static byte[] TorchStateDict(params string[] tensorNames)
    {
        ArgumentNullException.ThrowIfNull(tensorNames);
        var b = new PickleBuilder().Proto(2).Global("collections", "OrderedDict").EmptyTuple().Reduce().BinPut(0).Mark();
        var memo = (byte)1;
        for (var i = 0; i < tensorNames.Length; i++)
        {
            b.BinUnicode(tensorNames[i]).BinPut(memo++)
                .Global("torch._utils", "_rebuild_tensor_v2").BinPut(memo++)
                .Mark()
                .Mark().BinUnicode("storage").BinPut(memo++).Global("torch", "FloatStorage").BinPut(memo++)
                .BinUnicode(i.ToString(System.Globalization.CultureInfo.InvariantCulture)).BinPut(memo++).BinUnicode("cpu").BinPut(memo++)
                .BinInt1(6).Tuple().BinPut(memo++).BinPersId()
                .BinInt1(0).BinInt1(2).BinInt1(3).Tuple2().BinPut(memo++).BinInt1(3).BinInt1(1).Tuple2().BinPut(memo++)
                .NewFalse().Global("collections", "OrderedDict").BinPut(memo++).EmptyTuple().Reduce().BinPut(memo++)
                .Tuple().BinPut(memo++).Reduce().BinPut(memo++);
        }

        return b.SetItems().Stop().ToArray();
    }

    /// <summary>numpy.dtype(descr, False, True) followed by the BUILD of its state tuple, as numpy pickles it.</summary>
    public PickleBuilder NumpyDtype(string descr, int elementSize = -1)
    {
        ArgumentNullException.ThrowIfNull(descr);
        Global("numpy", "dtype").ShortBinUnicode(descr).NewFalse().NewTrue().Tuple3().Reduce();
        Mark().BinInt1(3).ShortBinUnicode(descr.StartsWith('O') || descr.StartsWith('V') ? "|" : "<").None().None().None();
        return BinInt(elementSize).BinInt(-1).BinInt1(descr.StartsWith('O') ? (byte)63 : (byte)0).Tuple().Build();
    }

    /// <summary>
    /// A structured dtype as numpy 1.x pickles it: numpy.dtype('V&lt;itemSize&gt;') and a state of names, a fields
    /// dict of name: (dtype, offset), the item size and the flags (0x01 when a field holds objects).
    /// </summary>
    public PickleBuilder NumpyRecordDtype(int itemSize, int flags, params (string Name, Action<PickleBuilder> Dtype, int Offset)[] fields)
    {
        ArgumentNullException.ThrowIfNull(fields);
        Global("numpy", "dtype").ShortBinUnicode("V" + itemSize.ToString(System.Globalization.CultureInfo.InvariantCulture)).NewFalse().NewTrue().Tuple3().Reduce();
        Mark().BinInt1(3).ShortBinUnicode("|").None().Mark();
        foreach (var field in fields)
        {
            ShortBinUnicode(field.Name);
        }

        Tuple().EmptyDict().Mark();
        foreach (var field in fields)
        {
            ShortBinUnicode(field.Name);
            field.Dtype(this);
            BinInt(field.Offset).Tuple2();
        }

        return SetItems().BinInt(itemSize).BinInt(1).BinInt(flags).Tuple().Build();
    }

    /// <summary>A sub-array dtype such as the field ('c', '&lt;f8', (2, 3)): numpy.dtype('V&lt;size&gt;') with (base, shape) in its state.</summary>
    public PickleBuilder NumpySubarrayDtype(Action<PickleBuilder> baseDtype, int itemSize, params int[] shape)
    {
        ArgumentNullException.ThrowIfNull(baseDtype);
        ArgumentNullException.ThrowIfNull(shape);
        Global("numpy", "dtype").ShortBinUnicode("V" + itemSize.ToString(System.Globalization.CultureInfo.InvariantCulture)).NewFalse().NewTrue().Tuple3().Reduce();
        Mark().BinInt1(3).ShortBinUnicode("|");
        baseDtype(this);
        Mark();
        foreach (var dim in shape)
        {
            BinInt(dim);
        }

        return Tuple().Tuple2().None().None().BinInt(itemSize).BinInt(8).BinInt1(0).Tuple().Build();
    }

    /// <summary>
    /// A joblib NumpyArrayWrapper for a 1-D array of <paramref name="count"/> elements, its BUILD, and (for plain
    /// dtypes) the alignment padding and raw bytes that joblib writes right after it. Object arrays need the
    /// caller to append the nested pickle.
    /// </summary>
    public PickleBuilder JoblibArray(string descr, int count, int itemSize, bool aligned = true, int elementSize = -1) =>
        JoblibArray(b => b.NumpyDtype(descr, elementSize), count, itemSize, aligned, objects: descr.StartsWith('O'));

    /// <summary>A joblib array whose dtype is written by <paramref name="dtype"/> (structured dtypes, for instance).</summary>
    public PickleBuilder JoblibArray(Action<PickleBuilder> dtype, int count, int itemSize, bool aligned = true, bool objects = false)
    {
        ArgumentNullException.ThrowIfNull(dtype);
        StackGlobal("joblib.numpy_pickle", "NumpyArrayWrapper").EmptyTuple().NewObj()
            .EmptyDict().Mark()
            .ShortBinUnicode("subclass").StackGlobal("numpy", "ndarray")
            .ShortBinUnicode("shape").BinInt(count).Tuple1()
            .ShortBinUnicode("order").ShortBinUnicode("C")
            .ShortBinUnicode("dtype");
        dtype(this);
        ShortBinUnicode("allow_mmap").NewTrue();
        if (aligned)
        {
            ShortBinUnicode("numpy_array_alignment_bytes").BinInt1(16);
        }

        SetItems().Build();
        if (objects)
        {
            return this;
        }

        if (aligned)
        {
            var padding = 16 - ((Length + 1) % 16);
            Raw((byte)padding);
            Raw([.. Enumerable.Repeat((byte)0xFF, padding)]);
        }

        return Raw(new byte[count * itemSize]);
    }
}
