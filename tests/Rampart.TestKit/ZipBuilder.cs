using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace Rampart.TestKit;

/// <summary>One member for <see cref="ZipBuilder"/>, with knobs for every trick a hostile archive can play.</summary>
public sealed record ZipMember(string Name, byte[] Data)
{
    /// <summary>Deflate the data (method 8) instead of storing it (method 0).</summary>
    public bool Deflate { get; init; }

    /// <summary>A different name written in the local header only.</summary>
    public string? LocalName { get; init; }

    /// <summary>Extra general-purpose flag bits (e.g. 0x0001 encrypted, 0x0040 strong encryption).</summary>
    public ushort ExtraFlags { get; init; }

    /// <summary>Written instead of the real CRC-32.</summary>
    public uint? CrcOverride { get; init; }

    /// <summary>Written as the uncompressed size instead of the real one.</summary>
    public long? DeclaredSize { get; init; }

    /// <summary>Written as the method in both headers (the data is still stored or deflated as asked).</summary>
    public ushort? MethodOverride { get; init; }

    /// <summary>Write no local record: the central entry points at the local header of member number N instead.</summary>
    public int? ShareHeaderOf { get; init; }

    /// <summary>General-purpose flag bits written in the local header only (the central entry does not have them).</summary>
    public ushort LocalOnlyFlags { get; init; }

    /// <summary>
    /// Bytes written as the member's data instead of <see cref="Data"/> stored or deflated: data compressed by another
    /// program (bzip2, LZMA, xz, zstd), named by <see cref="MethodOverride"/>. CRC and size still describe <see cref="Data"/>.
    /// </summary>
    public byte[]? Payload { get; init; }

    /// <summary>Bytes written right after this member's data, outside any member.</summary>
    public byte[]? After { get; init; }
}

/// <summary>Builds zip archives byte by byte, including malformed and hostile ones.</summary>
public sealed class ZipBuilder
{
    private readonly List<ZipMember> _members = [];
    private byte[] _prepend = [];
    private byte[] _append = [];
    private bool _zip64;
    private int? _declaredCount;

    public ZipBuilder Add(string name, byte[] data, bool deflate = false) => Add(new ZipMember(name, data) { Deflate = deflate });

    public ZipBuilder Add(string name, string text, bool deflate = false) => Add(name, Encoding.UTF8.GetBytes(text), deflate);

    public ZipBuilder Add(ZipMember member)
    {
        _members.Add(member);
        return this;
    }

    /// <summary>Bytes before the archive (as when a zip is appended to a pickle).</summary>
    public ZipBuilder Prepend(byte[] bytes)
    {
        _prepend = bytes;
        return this;
    }

    /// <summary>Bytes after the end record.</summary>
    public ZipBuilder Append(byte[] bytes)
    {
        _append = bytes;
        return this;
    }

    /// <summary>Writes zip64 extra fields, the zip64 end record and its locator.</summary>
    public ZipBuilder Zip64()
    {
        _zip64 = true;
        return this;
    }

    /// <summary>Declares a different member count in the end record.</summary>
    public ZipBuilder DeclareCount(int count)
    {
        _declaredCount = count;
        return this;
    }

    public byte[] Build()
    {
        using var body = new MemoryStream();
        var central = new MemoryStream();
        var offsets = new List<long>();
        foreach (var member in _members)
        {
            var payload = member.Payload ?? (member.Deflate ? DeflateBytes(member.Data) : member.Data);
            var crc = member.CrcOverride ?? Crc(member.Data);
            var size = member.DeclaredSize ?? member.Data.Length;
            var method = member.MethodOverride ?? (ushort)(member.Deflate ? 8 : 0);
            var flags = (ushort)(0x0800 | member.ExtraFlags);
            long offset;
            if (member.ShareHeaderOf is { } shared)
            {
                offset = offsets[shared];
            }
            else
            {
                offset = body.Position;
                var localName = Encoding.UTF8.GetBytes(member.LocalName ?? member.Name);
                var local = new byte[30];
                BinaryPrimitives.WriteUInt32LittleEndian(local, 0x04034b50);
                BinaryPrimitives.WriteUInt16LittleEndian(local.AsSpan(4), 20);
                BinaryPrimitives.WriteUInt16LittleEndian(local.AsSpan(6), (ushort)(flags | member.LocalOnlyFlags));
                BinaryPrimitives.WriteUInt16LittleEndian(local.AsSpan(8), method);
                BinaryPrimitives.WriteUInt32LittleEndian(local.AsSpan(14), crc);
                BinaryPrimitives.WriteUInt32LittleEndian(local.AsSpan(18), (uint)payload.Length);
                BinaryPrimitives.WriteUInt32LittleEndian(local.AsSpan(22), (uint)size);
                BinaryPrimitives.WriteUInt16LittleEndian(local.AsSpan(26), (ushort)localName.Length);
                body.Write(local);
                body.Write(localName);
                body.Write(payload);
                body.Write(member.After ?? []);
            }

            offsets.Add(offset);
            WriteCentral(central, member, flags, method, crc, payload.Length, size, offset);
        }

        var cdOffset = body.Position;
        central.Position = 0;
        central.CopyTo(body);
        var cdSize = body.Position - cdOffset;
        var count = _declaredCount ?? _members.Count;
        if (_zip64)
        {
            var zip64End = body.Position;
            var record = new byte[56];
            BinaryPrimitives.WriteUInt32LittleEndian(record, 0x06064b50);
            BinaryPrimitives.WriteUInt64LittleEndian(record.AsSpan(4), 44);
            BinaryPrimitives.WriteUInt16LittleEndian(record.AsSpan(12), 45);
            BinaryPrimitives.WriteUInt64LittleEndian(record.AsSpan(24), (ulong)count);
            BinaryPrimitives.WriteUInt64LittleEndian(record.AsSpan(32), (ulong)count);
            BinaryPrimitives.WriteUInt64LittleEndian(record.AsSpan(40), (ulong)cdSize);
            BinaryPrimitives.WriteUInt64LittleEndian(record.AsSpan(48), (ulong)cdOffset);
            body.Write(record);
            var locator = new byte[20];
            BinaryPrimitives.WriteUInt32LittleEndian(locator, 0x07064b50);
            BinaryPrimitives.WriteUInt64LittleEndian(locator.AsSpan(8), (ulong)zip64End);
            BinaryPrimitives.WriteUInt32LittleEndian(locator.AsSpan(16), 1);
            body.Write(locator);
        }

        var end = new byte[22];
        BinaryPrimitives.WriteUInt32LittleEndian(end, 0x06054b50);
        BinaryPrimitives.WriteUInt16LittleEndian(end.AsSpan(8), _zip64 ? ushort.MaxValue : (ushort)count);
        BinaryPrimitives.WriteUInt16LittleEndian(end.AsSpan(10), _zip64 ? ushort.MaxValue : (ushort)count);
        BinaryPrimitives.WriteUInt32LittleEndian(end.AsSpan(12), _zip64 ? uint.MaxValue : (uint)cdSize);
        BinaryPrimitives.WriteUInt32LittleEndian(end.AsSpan(16), _zip64 ? uint.MaxValue : (uint)cdOffset);
        body.Write(end);
        return [.. _prepend, .. body.ToArray(), .. _append];
    }

    private void WriteCentral(MemoryStream central, ZipMember member, ushort flags, ushort method, uint crc, long compressed, long size, long offset)
    {
        var name = Encoding.UTF8.GetBytes(member.Name);
        var extra = Array.Empty<byte>();
        if (_zip64)
        {
            extra = new byte[28];
            BinaryPrimitives.WriteUInt16LittleEndian(extra, 1);
            BinaryPrimitives.WriteUInt16LittleEndian(extra.AsSpan(2), 24);
            BinaryPrimitives.WriteUInt64LittleEndian(extra.AsSpan(4), (ulong)size);
            BinaryPrimitives.WriteUInt64LittleEndian(extra.AsSpan(12), (ulong)compressed);
            BinaryPrimitives.WriteUInt64LittleEndian(extra.AsSpan(20), (ulong)offset);
        }

        var entry = new byte[46];
        BinaryPrimitives.WriteUInt32LittleEndian(entry, 0x02014b50);
        BinaryPrimitives.WriteUInt16LittleEndian(entry.AsSpan(4), 0x031e);
        BinaryPrimitives.WriteUInt16LittleEndian(entry.AsSpan(6), (ushort)(_zip64 ? 45 : 20));
        BinaryPrimitives.WriteUInt16LittleEndian(entry.AsSpan(8), flags);
        BinaryPrimitives.WriteUInt16LittleEndian(entry.AsSpan(10), method);
        BinaryPrimitives.WriteUInt32LittleEndian(entry.AsSpan(16), crc);
        BinaryPrimitives.WriteUInt32LittleEndian(entry.AsSpan(20), _zip64 ? uint.MaxValue : (uint)compressed);
        BinaryPrimitives.WriteUInt32LittleEndian(entry.AsSpan(24), _zip64 ? uint.MaxValue : (uint)size);
        BinaryPrimitives.WriteUInt16LittleEndian(entry.AsSpan(28), (ushort)name.Length);
        BinaryPrimitives.WriteUInt16LittleEndian(entry.AsSpan(30), (ushort)extra.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(entry.AsSpan(42), _zip64 ? uint.MaxValue : (uint)offset);
        central.Write(entry);
        central.Write(name);
        central.Write(extra);
    }

    public static byte[] DeflateBytes(byte[] data)
    {
        using var output = new MemoryStream();
        using (var deflate = new DeflateStream(output, CompressionLevel.Optimal, leaveOpen: true))
        {
            deflate.Write(data);
        }

        return output.ToArray();
    }

    /// <summary>CRC-32 as zip writes it (bitwise; test data is small).</summary>
    public static uint Crc(ReadOnlySpan<byte> data)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in data)
        {
            crc ^= b;
            for (var bit = 0; bit < 8; bit++)
            {
                crc = (crc >> 1) ^ (0xEDB88320u & (uint)-(int)(crc & 1));
            }
        }

        return ~crc;
    }
}
