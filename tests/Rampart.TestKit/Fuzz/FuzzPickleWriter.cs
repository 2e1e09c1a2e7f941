using System.Buffers.Binary;
using System.Text;

namespace Rampart.TestKit.Fuzz;

/// <summary>
/// Writes pickle opcodes byte by byte for the fuzz seed corpus. Deliberately low level (no object model) so that
/// seeds can also be odd: unbalanced marks, long memo chains, huge declared lengths.
/// </summary>
public sealed class FuzzPickleWriter
{
    private readonly List<byte> _bytes = [];

    public FuzzPickleWriter Proto(int protocol) => Op(0x80).Byte((byte)protocol);

    public FuzzPickleWriter Frame(long length) => Op(0x95).Le64(length);

    public FuzzPickleWriter Op(byte opcode) => Byte(opcode);

    public FuzzPickleWriter Op(char opcode) => Byte((byte)opcode);

    public FuzzPickleWriter Repeat(char opcode, int count)
    {
        for (var i = 0; i < count; i++)
        {
            Op(opcode);
        }

        return this;
    }

    public FuzzPickleWriter BinInt(int value) => value switch
    {
        >= 0 and < 256 => Op('K').Byte((byte)value),
        >= 0 and < 65536 => Op('M').Le16((ushort)value),
        _ => Op('J').Le32(value),
    };

    public FuzzPickleWriter BinFloat(double value)
    {
        Span<byte> b = stackalloc byte[8];
        BinaryPrimitives.WriteDoubleBigEndian(b, value);
        return Op('G').Raw(b);
    }

    public FuzzPickleWriter Long1(long value)
    {
        Span<byte> b = stackalloc byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(b, value);
        return Op(0x8a).Byte(8).Raw(b);
    }

    public FuzzPickleWriter Unicode(string value)
    {
        var utf8 = Encoding.UTF8.GetBytes(value);
        return utf8.Length < 256 ? Op(0x8c).Byte((byte)utf8.Length).Raw(utf8) : Op('X').Le32(utf8.Length).Raw(utf8);
    }

    public FuzzPickleWriter Unicode4(string value)
    {
        var utf8 = Encoding.UTF8.GetBytes(value);
        return Op('X').Le32(utf8.Length).Raw(utf8);
    }

    public FuzzPickleWriter Unicode8(string value)
    {
        var utf8 = Encoding.UTF8.GetBytes(value);
        return Op(0x8d).Le64(utf8.Length).Raw(utf8);
    }

    public FuzzPickleWriter Bytes(ReadOnlySpan<byte> value) =>
        value.Length < 256 ? Op('C').Byte((byte)value.Length).Raw(value) : Op('B').Le32(value.Length).Raw(value);

    public FuzzPickleWriter Bytes8(ReadOnlySpan<byte> value) => Op(0x8e).Le64(value.Length).Raw(value);

    public FuzzPickleWriter ByteArray8(ReadOnlySpan<byte> value) => Op(0x96).Le64(value.Length).Raw(value);

    /// <summary>GLOBAL (protocol 0-3 form): "c module\n name\n".</summary>
    public FuzzPickleWriter Global(string module, string name) => Op('c').Ascii(module + "\n" + name + "\n");

    /// <summary>STACK_GLOBAL (protocol 4+ form): two strings then 0x93.</summary>
    public FuzzPickleWriter StackGlobal(string module, string name) => Unicode(module).Memoize().Unicode(name).Memoize().Op(0x93);

    public FuzzPickleWriter Memoize() => Op(0x94);

    public FuzzPickleWriter Put(int index) => index < 256 ? Op('q').Byte((byte)index) : Op('r').Le32(index);

    public FuzzPickleWriter Get(int index) => index < 256 ? Op('h').Byte((byte)index) : Op('j').Le32(index);

    /// <summary>Protocol 0 text opcodes: "I42\n", "S'x'\n", "V..\n", "p0\n", "g0\n".</summary>
    public FuzzPickleWriter Text(char opcode, string argument) => Op(opcode).Ascii(argument + "\n");

    public FuzzPickleWriter Stop() => Op('.');

    public FuzzPickleWriter Byte(byte value)
    {
        _bytes.Add(value);
        return this;
    }

    public FuzzPickleWriter Raw(ReadOnlySpan<byte> value)
    {
        _bytes.AddRange(value);
        return this;
    }

    public FuzzPickleWriter Ascii(string value) => Raw(Encoding.ASCII.GetBytes(value));

    public FuzzPickleWriter Le16(ushort value)
    {
        Span<byte> b = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16LittleEndian(b, value);
        return Raw(b);
    }

    public FuzzPickleWriter Le32(int value)
    {
        Span<byte> b = stackalloc byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(b, value);
        return Raw(b);
    }

    public FuzzPickleWriter Le64(long value)
    {
        Span<byte> b = stackalloc byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(b, value);
        return Raw(b);
    }

    /// <summary>Bytes written so far.</summary>
    public int Length => _bytes.Count;

    public byte[] ToArray() => [.. _bytes];
}
