using System.Buffers.Binary;
using System.Text;

namespace Rampart.TestKit;

/// <summary>Builds .npy files the way numpy.save lays them out (header padded to 64 bytes), or with a raw header.</summary>
public sealed class NpyBuilder
{
    private string _descr = "'<f4'";
    private string _shape = "(2, 3)";
    private bool _fortran;
    private byte[] _data = new byte[24];
    private int _major = 1;
    private string? _rawHeader;

    /// <summary>The descr as a Python literal, e.g. "'&lt;f8'" or "[('a', '&lt;i4'), ('b', '|O')]".</summary>
    public NpyBuilder Descr(string literal)
    {
        _descr = literal;
        return this;
    }

    /// <summary>The shape as a Python tuple literal, e.g. "(3,)".</summary>
    public NpyBuilder Shape(string literal)
    {
        _shape = literal;
        return this;
    }

    public NpyBuilder FortranOrder(bool fortran = true)
    {
        _fortran = fortran;
        return this;
    }

    public NpyBuilder Data(byte[] data)
    {
        _data = data;
        return this;
    }

    /// <summary>Format version 1, 2 or 3.</summary>
    public NpyBuilder Version(int major)
    {
        _major = major;
        return this;
    }

    /// <summary>Writes this header text verbatim instead of the dict built from the other settings.</summary>
    public NpyBuilder RawHeader(string text)
    {
        _rawHeader = text;
        return this;
    }

    public byte[] Build()
    {
        var prefix = _major == 1 ? 10 : 12;
        var dict = _rawHeader ?? $"{{'descr': {_descr}, 'fortran_order': {(_fortran ? "True" : "False")}, 'shape': {_shape}, }}";
        var text = Encoding.UTF8.GetBytes(dict);
        var padding = _rawHeader is null ? 64 - ((prefix + text.Length + 1) % 64) : 0;
        padding %= 64;
        byte[] header = [.. text, .. Enumerable.Repeat((byte)' ', padding), .. (_rawHeader is null ? "\n"u8.ToArray() : [])];
        var output = new List<byte>([0x93, .. "NUMPY"u8.ToArray(), (byte)_major, 0]);
        var length = new byte[prefix - 8];
        if (_major == 1)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(length, (ushort)header.Length);
        }
        else
        {
            BinaryPrimitives.WriteUInt32LittleEndian(length, (uint)header.Length);
        }

        output.AddRange(length);
        output.AddRange(header);
        output.AddRange(_data);
        return [.. output];
    }
}
