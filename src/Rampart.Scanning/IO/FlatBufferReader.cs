using System.Buffers.Binary;
using System.Text;

namespace Rampart.Scanning.IO;

/// <summary>A table inside a flatbuffer: its position and the vtable that describes its fields (already validated).</summary>
internal readonly record struct FlatTable(int Position, int VTable, int VTableSize, int TableSize);

/// <summary>A vector inside a flatbuffer: where its elements start and how many there are (bounds already checked).</summary>
internal readonly record struct FlatVector(int Start, int Count);

/// <summary>
/// A bounds-checked reader of flatbuffers (TFLite models) over a span, for untrusted bytes. Every offset, vtable,
/// vector and string is validated against the buffer before use; violations throw
/// <see cref="MalformedContentException"/> with the offending position. Scalars are read little-endian and
/// unaligned, which is a superset of what well-formed writers produce.
/// </summary>
internal readonly ref struct FlatBufferReader
{
    private readonly ReadOnlySpan<byte> _data;

    public FlatBufferReader(ReadOnlySpan<byte> data)
    {
        _data = data;
    }

    public int Length => _data.Length;

    /// <summary>The root table (the uoffset at position 0).</summary>
    public FlatTable Root() => Table(Follow(0));

    /// <summary>Validates the table at <paramref name="position"/> and its vtable.</summary>
    public FlatTable Table(int position)
    {
        Need(position, 4, "table");
        var soffset = (long)BinaryPrimitives.ReadInt32LittleEndian(_data[position..]);
        var vtable = position - soffset;
        if (vtable < 0 || vtable > _data.Length - 4)
        {
            throw new MalformedContentException($"flatbuffer table at {position} has its vtable outside the file", position);
        }

        var vsize = BinaryPrimitives.ReadUInt16LittleEndian(_data[(int)vtable..]);
        var tsize = BinaryPrimitives.ReadUInt16LittleEndian(_data[((int)vtable + 2)..]);
        if (vsize < 4 || vsize % 2 != 0 || vtable + vsize > _data.Length)
        {
            throw new MalformedContentException($"flatbuffer vtable at {vtable} has an invalid size {vsize}", vtable);
        }

        if (tsize < 4 || (long)position + tsize > _data.Length)
        {
            throw new MalformedContentException($"flatbuffer table at {position} declares {tsize} bytes past the end of the file", position);
        }

        return new FlatTable(position, (int)vtable, vsize, tsize);
    }

    /// <summary>Absolute position of field <paramref name="index"/>, or -1 when absent; checks it has <paramref name="size"/> bytes inside the table.</summary>
    public int Field(FlatTable table, int index, int size)
    {
        var entry = 4 + (2 * index);
        if (entry + 2 > table.VTableSize)
        {
            return -1;
        }

        int offset = BinaryPrimitives.ReadUInt16LittleEndian(_data[(table.VTable + entry)..]);
        if (offset == 0)
        {
            return -1;
        }

        if (offset < 4 || offset + size > table.TableSize)
        {
            throw new MalformedContentException($"flatbuffer field {index} of the table at {table.Position} lies outside the table", table.Position);
        }

        return table.Position + offset;
    }

    public uint UInt32(FlatTable table, int index, uint fallback = 0) =>
        Field(table, index, 4) is var p and >= 0 ? BinaryPrimitives.ReadUInt32LittleEndian(_data[p..]) : fallback;

    public int Int32(FlatTable table, int index, int fallback = 0) =>
        Field(table, index, 4) is var p and >= 0 ? BinaryPrimitives.ReadInt32LittleEndian(_data[p..]) : fallback;

    public ulong UInt64(FlatTable table, int index, ulong fallback = 0) =>
        Field(table, index, 8) is var p and >= 0 ? BinaryPrimitives.ReadUInt64LittleEndian(_data[p..]) : fallback;

    public sbyte Int8(FlatTable table, int index, sbyte fallback = 0) =>
        Field(table, index, 1) is var p and >= 0 ? unchecked((sbyte)_data[p]) : fallback;

    /// <summary>A sub-table field, or null when absent.</summary>
    public FlatTable? SubTable(FlatTable table, int index) =>
        Field(table, index, 4) is var p and >= 0 ? Table(Follow(p)) : null;

    /// <summary>A vector field of elements of <paramref name="elementSize"/> bytes, or an empty vector when absent.</summary>
    public FlatVector Vector(FlatTable table, int index, int elementSize)
    {
        var p = Field(table, index, 4);
        if (p < 0)
        {
            return new FlatVector(0, 0);
        }

        var start = Follow(p);
        Need(start, 4, "vector length");
        var count = BinaryPrimitives.ReadUInt32LittleEndian(_data[start..]);
        if (count * (ulong)elementSize > (ulong)(_data.Length - start - 4))
        {
            throw new MalformedContentException($"flatbuffer vector at {start} of {count} elements runs past the end of the file", start);
        }

        return new FlatVector(start + 4, (int)count);
    }

    /// <summary>Element <paramref name="i"/> of a vector of tables.</summary>
    public FlatTable TableAt(FlatVector vector, int i) => Table(Follow(vector.Start + (4 * i)));

    /// <summary>A string field decoded as UTF-8 and cut to <paramref name="maxChars"/>, or null when absent.</summary>
    public string? String(FlatTable table, int index, int maxChars = 512)
    {
        var vector = Vector(table, index, 1);
        if (vector.Start == 0)
        {
            return null;
        }

        var bytes = _data.Slice(vector.Start, Math.Min(vector.Count, maxChars * 4));
        var text = Encoding.UTF8.GetString(bytes);
        return text.Length > maxChars ? text[..maxChars] + "…" : text;
    }

    /// <summary>Follows the uoffset stored at <paramref name="position"/>.</summary>
    public int Follow(int position)
    {
        Need(position, 4, "offset");
        var target = (long)position + BinaryPrimitives.ReadUInt32LittleEndian(_data[position..]);
        if (target > _data.Length - 4)
        {
            throw new MalformedContentException($"flatbuffer offset at {position} points outside the file", position);
        }

        return (int)target;
    }

    private void Need(int position, int count, string what)
    {
        if (position < 0 || (long)position + count > _data.Length)
        {
            throw new MalformedContentException($"flatbuffer {what} at {position} runs past the end of the file", position);
        }
    }
}
