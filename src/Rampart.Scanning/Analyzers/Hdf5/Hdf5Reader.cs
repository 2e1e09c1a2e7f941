using System.Buffers.Binary;
using System.Text;
using Rampart.Scanning.IO;

namespace Rampart.Scanning.Analyzers.Hdf5;

/// <summary>A string attribute found on an HDF5 object (fixed-length or variable-length, scalar or the first elements of an array).</summary>
internal sealed record Hdf5Attribute(string ObjectPath, string Name, IReadOnlyList<string> Values);

/// <summary>What <see cref="Hdf5Reader"/> found.</summary>
internal sealed record Hdf5Summary(int SuperblockVersion, long SignatureOffset, int Objects, int Groups, int Datasets, IReadOnlyList<Hdf5Attribute> Attributes, IReadOnlyList<string> ExternalLinks);

/// <summary>
/// A small reader of HDF5 structure, written for scanning: superblocks v0-v3 (found at 0, 512, 1024, ... for files
/// with a user block), object headers v1 and v2 with continuation blocks, groups as symbol tables (v1 B-tree group
/// nodes + local heap) or link messages, and attribute messages v1-v3 whose values are strings (fixed length, or
/// variable length in the global heap). Dense link and attribute storage (fractal heaps) is refused with
/// <see cref="MalformedContentException"/> ("unsupported"), never skipped. Every address is checked against the file
/// length, every object is visited once (cycle detection), and depth, object and message counts are bounded.
/// </summary>
internal sealed class Hdf5Reader
{
    public const int MaxObjects = 100_000;
    public const int MaxDepth = 64;
    public const int MaxMessagesPerObject = 65_536;
    public const int MaxAttributeBytes = 64 * 1024 * 1024;
    public const int MaxStringValues = 4096;

    public static ReadOnlySpan<byte> Signature => [0x89, (byte)'H', (byte)'D', (byte)'F', 0x0d, 0x0a, 0x1a, 0x0a];

    private const ulong Undefined = ulong.MaxValue;

    private readonly Stream _stream;
    private readonly long _length;
    private readonly CancellationToken _cancellationToken;
    private readonly HashSet<long> _visited = [];
    private readonly List<Hdf5Attribute> _attributes = [];
    private readonly List<string> _externalLinks = [];
    private int _offsetSize = 8;
    private int _lengthSize = 8;
    private long _base;
    private int _groups;
    private int _datasets;

    private Hdf5Reader(Stream stream, CancellationToken cancellationToken)
    {
        _stream = stream;
        _length = stream.Length;
        _cancellationToken = cancellationToken;
    }

    /// <summary>Offset of the superblock signature (0, 512, 1024, ...) within <paramref name="head"/>, or -1.</summary>
    public static long FindSignature(ReadOnlySpan<byte> head)
    {
        for (long at = 0; at + 8 <= head.Length; at = at == 0 ? 512 : at * 2)
        {
            if (head.Slice((int)at, 8).SequenceEqual(Signature))
            {
                return at;
            }
        }

        return -1;
    }

    public static Hdf5Summary Read(Stream stream, long signatureOffset, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stream);
        return new Hdf5Reader(stream, cancellationToken).ReadFile(signatureOffset);
    }

    private Hdf5Summary ReadFile(long at)
    {
        var head = ReadAt(at, Math.Min(256, _length - at));
        var version = Byte(head, 8);
        long rootHeader;
        _base = at; // addresses are relative to the superblock (h5py writes base address 0 after a user block)
        if (version is 0 or 1)
        {
            _offsetSize = Byte(head, 13);
            _lengthSize = Byte(head, 14);
            CheckSizes();
            var p = 24 + (version == 1 ? 4 : 0);
            var stored = (long)Unsigned(head, p, _offsetSize);
            CheckBase(stored, at);
            // free-space, end-of-file, driver addresses, then the root symbol table entry (link name offset, header address).
            rootHeader = Address(head, p + (4 * _offsetSize) + _offsetSize);
        }
        else if (version is 2 or 3)
        {
            _offsetSize = Byte(head, 9);
            _lengthSize = Byte(head, 10);
            CheckSizes();
            CheckBase((long)Unsigned(head, 12, _offsetSize), at);
            rootHeader = Address(head, 12 + (3 * _offsetSize));
        }
        else
        {
            throw new MalformedContentException($"unsupported HDF5 superblock version {version}", at + 8);
        }

        VisitObject(rootHeader, "/", 0);
        return new Hdf5Summary(version, at, _visited.Count, _groups, _datasets, _attributes, _externalLinks);
    }

    private static void CheckBase(long stored, long at)
    {
        if (stored != at && stored != 0)
        {
            throw new MalformedContentException($"the superblock's base address {stored} matches neither its position {at} nor 0", at);
        }
    }

    private void CheckSizes()
    {
        if (_offsetSize is not (2 or 4 or 8) || _lengthSize is not (2 or 4 or 8))
        {
            throw new MalformedContentException($"unsupported HDF5 offset/length sizes {_offsetSize}/{_lengthSize}");
        }
    }

    private void VisitObject(long address, string path, int depth)
    {
        _cancellationToken.ThrowIfCancellationRequested();
        if (depth > MaxDepth)
        {
            throw new LimitExceededException("hdf5-depth", $"objects are nested more than {MaxDepth} levels deep at {path}");
        }

        if (!_visited.Add(address))
        {
            return; // Hard links may share an object, and a hostile file may link a group into itself.
        }

        if (_visited.Count > MaxObjects)
        {
            throw new LimitExceededException("hdf5-objects", $"the file has more than {MaxObjects:N0} objects");
        }

        var messages = ReadMessages(address, path);
        var children = new List<(string Name, long Address)>();
        var isGroup = false;
        var isDataset = false;
        foreach (var (type, data) in messages)
        {
            switch (type)
            {
                case 0x0011: // symbol table
                    isGroup = true;
                    ReadSymbolTable(data, path, children);
                    break;
                case 0x0006: // link
                    isGroup = true;
                    ReadLink(data, path, children);
                    break;
                case 0x0002: // link info
                    isGroup = true;
                    if (Address(data, 2 + ((Byte(data, 1) & 1) != 0 ? 8 : 0)) != -1)
                    {
                        throw new MalformedContentException($"group {path} keeps its links in dense storage (a fractal heap), which Rampart does not read yet; unsupported");
                    }

                    break;
                case 0x0015: // attribute info
                    if (Address(data, 2 + ((Byte(data, 1) & 1) != 0 ? 2 : 0)) != -1)
                    {
                        throw new MalformedContentException($"object {path} keeps its attributes in dense storage (a fractal heap), which Rampart does not read yet; unsupported");
                    }

                    break;
                case 0x0008: // data layout
                    isDataset = true;
                    break;
                case 0x000C:
                    ReadAttribute(data, path);
                    break;
            }
        }

        _groups += isGroup ? 1 : 0;
        _datasets += isDataset ? 1 : 0;
        foreach (var (name, child) in children)
        {
            VisitObject(child, path == "/" ? "/" + name : path + "/" + name, depth + 1);
        }
    }

    /// <summary>All messages of an object header (v1 or v2), following continuation blocks.</summary>
    private List<(int Type, byte[] Data)> ReadMessages(long address, string path)
    {
        var messages = new List<(int, byte[])>();
        var prefix = ReadAt(address, Math.Min(24, _length - address));
        var blocks = new Queue<(long Start, long Length, bool First)>();
        var v2Flags = 0;
        bool v2;
        if (prefix.Length >= 4 && prefix.AsSpan(0, 4).SequenceEqual("OHDR"u8))
        {
            v2 = true;
            if (Byte(prefix, 4) != 2)
            {
                throw new MalformedContentException($"object header of {path}: unsupported version {prefix[4]}", address);
            }

            var flags = Byte(prefix, 5);
            var p = 6 + ((flags & 0x20) != 0 ? 16 : 0) + ((flags & 0x10) != 0 ? 4 : 0);
            var sizeBytes = 1 << (flags & 3);
            var chunk = (long)Unsigned(prefix, p, sizeBytes);
            blocks.Enqueue((address + p + sizeBytes, chunk, true));
            v2Flags = flags;
        }
        else
        {
            v2 = false;
            if (Byte(prefix, 0) != 1)
            {
                throw new MalformedContentException($"object header of {path}: unsupported version {prefix[0]}", address);
            }

            var size = (long)Unsigned(prefix, 8, 4);
            blocks.Enqueue((address + 16, size, true));
        }

        while (blocks.Count > 0)
        {
            var (start, length, first) = blocks.Dequeue();
            if (length < 0 || length > MaxAttributeBytes)
            {
                throw new MalformedContentException($"object header of {path}: block of {length} bytes", start);
            }

            var block = ReadAt(start, length);
            var p = 0;
            var end = block.Length;
            if (v2)
            {
                if (!first)
                {
                    if (block.Length < 8 || !block.AsSpan(0, 4).SequenceEqual("OCHK"u8))
                    {
                        throw new MalformedContentException($"object header continuation of {path} lacks its OCHK signature", start);
                    }

                    p = 4;
                    end -= 4; // a continuation block's length counts its signature and checksum; chunk 0's does not
                }
            }

            var headerSize = v2 ? 4 + ((v2Flags & 0x04) != 0 ? 2 : 0) : 8;
            while (p + headerSize <= end)
            {
                int type;
                int size;
                if (v2)
                {
                    type = block[p];
                    size = BinaryPrimitives.ReadUInt16LittleEndian(block.AsSpan(p + 1));
                }
                else
                {
                    type = BinaryPrimitives.ReadUInt16LittleEndian(block.AsSpan(p));
                    size = BinaryPrimitives.ReadUInt16LittleEndian(block.AsSpan(p + 2));
                }

                p += headerSize;
                if (p + size > end)
                {
                    throw new MalformedContentException($"object header of {path}: a message of {size} bytes runs past its block", start + p);
                }

                var data = block.AsSpan(p, size).ToArray();
                p += size;
                if (messages.Count >= MaxMessagesPerObject)
                {
                    throw new LimitExceededException("hdf5-messages", $"object {path} has more than {MaxMessagesPerObject:N0} header messages");
                }

                if (type == 0x0010)
                {
                    blocks.Enqueue((Address(data, 0), (long)Unsigned(data, _offsetSize, _lengthSize), false));
                }
                else
                {
                    messages.Add((type, data));
                }
            }
        }

        return messages;
    }

    private void ReadSymbolTable(byte[] data, string path, List<(string, long)> children)
    {
        var btree = Address(data, 0);
        var heap = Address(data, _offsetSize);
        var heapHeader = ReadAt(heap, 8 + (2 * _lengthSize) + _offsetSize);
        if (!heapHeader.AsSpan(0, 4).SequenceEqual("HEAP"u8))
        {
            throw new MalformedContentException($"group {path}: local heap lacks its HEAP signature", heap);
        }

        var segmentSize = (long)Unsigned(heapHeader, 8, _lengthSize);
        var segmentAddress = Address(heapHeader, 8 + (2 * _lengthSize));
        var segment = ReadAt(segmentAddress, segmentSize);
        var pending = new Stack<long>();
        pending.Push(btree);
        var nodes = 0;
        while (pending.Count > 0)
        {
            var node = pending.Pop();
            if (++nodes > MaxObjects)
            {
                throw new LimitExceededException("hdf5-objects", $"group {path} has more than {MaxObjects:N0} B-tree nodes");
            }

            var header = ReadAt(node, 8 + (2 * _offsetSize));
            if (header.AsSpan(0, 4).SequenceEqual("SNOD"u8))
            {
                ReadSymbolNode(node, segment, path, children);
                continue;
            }

            if (!header.AsSpan(0, 4).SequenceEqual("TREE"u8) || header[4] != 0)
            {
                throw new MalformedContentException($"group {path}: B-tree node is not a group node", node);
            }

            var used = BinaryPrimitives.ReadUInt16LittleEndian(header.AsSpan(6));
            var body = ReadAt(node + header.Length, ((long)used * (_lengthSize + _offsetSize)) + _lengthSize);
            for (var i = 0; i < used; i++)
            {
                var child = Address(body, (i * (_lengthSize + _offsetSize)) + _lengthSize);
                pending.Push(child); // level > 0: a subtree node; level 0: a symbol node (SNOD)
            }
        }
    }

    private void ReadSymbolNode(long node, byte[] heap, string path, List<(string, long)> children)
    {
        var header = ReadAt(node, 8);
        var count = BinaryPrimitives.ReadUInt16LittleEndian(header.AsSpan(6));
        var entrySize = (2 * _offsetSize) + 24;
        var entries = ReadAt(node + 8, (long)count * entrySize);
        for (var i = 0; i < count; i++)
        {
            var nameOffset = (long)Unsigned(entries, i * entrySize, _offsetSize);
            var address = Address(entries, (i * entrySize) + _offsetSize);
            children.Add((HeapString(heap, nameOffset, path), address));
        }
    }

    private static string HeapString(byte[] heap, long offset, string path)
    {
        if (offset < 0 || offset >= heap.Length)
        {
            throw new MalformedContentException($"group {path}: a link name lies outside its local heap");
        }

        var end = Array.IndexOf(heap, (byte)0, (int)offset);
        return Encoding.UTF8.GetString(heap, (int)offset, (end < 0 ? heap.Length : end) - (int)offset);
    }

    private void ReadLink(byte[] data, string path, List<(string, long)> children)
    {
        if (Byte(data, 0) != 1)
        {
            throw new MalformedContentException($"group {path}: unsupported link message version {data[0]}");
        }

        var flags = Byte(data, 1);
        var p = 2;
        var linkType = 0;
        if ((flags & 0x08) != 0)
        {
            linkType = Byte(data, p++);
        }

        p += (flags & 0x04) != 0 ? 8 : 0;
        p += (flags & 0x10) != 0 ? 1 : 0;
        var lengthBytes = 1 << (flags & 3);
        var nameLength = (long)Unsigned(data, p, lengthBytes);
        p += lengthBytes;
        if (nameLength < 0 || p + nameLength > data.Length)
        {
            throw new MalformedContentException($"group {path}: a link name runs past its message");
        }

        var name = Encoding.UTF8.GetString(data, p, (int)nameLength);
        p += (int)nameLength;
        switch (linkType)
        {
            case 0:
                children.Add((name, Address(data, p)));
                break;
            case 64:
                var length = (int)Unsigned(data, p, 2);
                if (p + 2 + length > data.Length || length < 1)
                {
                    throw new MalformedContentException($"group {path}: external link {name} runs past its message");
                }

                var parts = Encoding.UTF8.GetString(data, p + 3, length - 1).Split('\0');
                _externalLinks.Add($"{path.TrimEnd('/')}/{name} -> {parts[0]}:{(parts.Length > 1 ? parts[1] : string.Empty)}");
                break;
        }
    }

    private void ReadAttribute(byte[] data, string path)
    {
        var version = Byte(data, 0);
        if (version is < 1 or > 3)
        {
            throw new MalformedContentException($"object {path}: unsupported attribute message version {version}");
        }

        var nameSize = (int)Unsigned(data, 2, 2);
        var typeSize = (int)Unsigned(data, 4, 2);
        var spaceSize = (int)Unsigned(data, 6, 2);
        var p = version == 3 ? 9 : 8;
        static int Pad(int n, int version) => version == 1 ? (n + 7) & ~7 : n;
        if (p + Pad(nameSize, version) + Pad(typeSize, version) + Pad(spaceSize, version) > data.Length || nameSize < 1)
        {
            throw new MalformedContentException($"object {path}: attribute message fields run past the message");
        }

        var name = Encoding.UTF8.GetString(data, p, nameSize - 1);
        p += Pad(nameSize, version);
        var type = data.AsSpan(p, typeSize).ToArray();
        p += Pad(typeSize, version);
        var space = data.AsSpan(p, spaceSize).ToArray();
        p += Pad(spaceSize, version);
        var values = StringValues(type, space, data.AsSpan(p).ToArray(), path, name);
        if (values is not null)
        {
            _attributes.Add(new Hdf5Attribute(path, name, values));
        }
    }

    /// <summary>The string values of an attribute, or null when its type is not a string.</summary>
    private List<string>? StringValues(byte[] type, byte[] space, byte[] value, string path, string name)
    {
        if (type.Length < 8)
        {
            return null;
        }

        var typeClass = type[0] & 0x0f;
        var elementSize = (int)Unsigned(type, 4, 4);
        var count = Elements(space, path, name);
        var values = new List<string>();
        if (typeClass == 3)
        {
            for (long i = 0; i < count && values.Count < MaxStringValues; i++)
            {
                var start = i * elementSize;
                if (start + elementSize > value.Length)
                {
                    throw new MalformedContentException($"attribute {name} of {path} holds fewer bytes than its type and shape need");
                }

                values.Add(Encoding.UTF8.GetString(value, (int)start, elementSize).TrimEnd('\0', ' '));
            }

            return values;
        }

        if (typeClass == 9 && (type[1] & 0x0f) == 1)
        {
            var itemSize = 4 + _offsetSize + 4;
            for (long i = 0; i < count && values.Count < MaxStringValues; i++)
            {
                var start = (int)(i * itemSize);
                if (start + itemSize > value.Length)
                {
                    throw new MalformedContentException($"attribute {name} of {path} holds fewer bytes than its type and shape need");
                }

                var length = (long)Unsigned(value, start, 4);
                var collection = Address(value, start + 4);
                var index = (int)Unsigned(value, start + 4 + _offsetSize, 4);
                values.Add(collection == -1 ? string.Empty : Encoding.UTF8.GetString(GlobalHeapObject(collection, index, length, path, name)));
            }

            return values;
        }

        return null;
    }

    private long Elements(byte[] space, string path, string name)
    {
        var version = Byte(space, 0);
        var rank = Byte(space, 1);
        int p;
        if (version == 1)
        {
            p = 8;
        }
        else if (version == 2)
        {
            if (Byte(space, 3) == 2)
            {
                return 0; // null dataspace
            }

            p = 4;
        }
        else
        {
            throw new MalformedContentException($"attribute {name} of {path}: unsupported dataspace version {version}");
        }

        long count = 1;
        for (var i = 0; i < rank; i++)
        {
            var dim = (long)Unsigned(space, p + (i * _lengthSize), _lengthSize);
            count = dim == 0 ? 0 : count > long.MaxValue / Math.Max(dim, 1) ? long.MaxValue : count * dim;
        }

        return count;
    }

    private byte[] GlobalHeapObject(long collection, int index, long length, string path, string name)
    {
        var header = ReadAt(collection, 8 + _lengthSize);
        if (!header.AsSpan(0, 4).SequenceEqual("GCOL"u8))
        {
            throw new MalformedContentException($"attribute {name} of {path} points at a global heap without its GCOL signature", collection);
        }

        var size = (long)Unsigned(header, 8, _lengthSize);
        if (size > MaxAttributeBytes)
        {
            throw new LimitExceededException("hdf5-attribute-bytes", $"a global heap collection of {size:N0} bytes is larger than the {MaxAttributeBytes:N0} Rampart reads");
        }

        var heap = ReadAt(collection, size);
        var p = 8 + _lengthSize;
        var objectHeader = 8 + _lengthSize;
        while (p + objectHeader <= heap.Length)
        {
            var id = (int)Unsigned(heap, p, 2);
            var objectSize = (long)Unsigned(heap, p + 8, _lengthSize);
            if (id == 0)
            {
                break;
            }

            if (objectSize < 0 || p + objectHeader + objectSize > heap.Length)
            {
                throw new MalformedContentException($"attribute {name} of {path}: a global heap object runs past its collection", collection + p);
            }

            if (id == index)
            {
                return heap.AsSpan(p + objectHeader, (int)Math.Min(objectSize, length)).ToArray();
            }

            p += objectHeader + (int)((objectSize + 7) & ~7L);
        }

        throw new MalformedContentException($"attribute {name} of {path}: global heap object {index} not found", collection);
    }

    private byte[] ReadAt(long address, long count)
    {
        if (address < 0 || count < 0 || address > _length || count > _length - address)
        {
            throw new MalformedContentException($"a structure of {count} bytes at {address} lies outside the file ({_length} bytes)", address);
        }

        if (count > MaxAttributeBytes)
        {
            throw new LimitExceededException("hdf5-attribute-bytes", $"a structure of {count:N0} bytes is larger than the {MaxAttributeBytes:N0} Rampart reads");
        }

        var buffer = new byte[count];
        _stream.Position = address;
        _stream.ReadExactly(buffer);
        return buffer;
    }

    /// <summary>An address field made absolute (base address added); -1 for the undefined address.</summary>
    private long Address(byte[] data, int at)
    {
        var raw = Unsigned(data, at, _offsetSize);
        if (raw == Undefined || (_offsetSize < 8 && raw == (1UL << (8 * _offsetSize)) - 1))
        {
            return -1;
        }

        return raw > (ulong)(long.MaxValue - _base) ? long.MaxValue : (long)raw + _base;
    }

    private static ulong Unsigned(byte[] data, int at, int size)
    {
        if (at < 0 || at + size > data.Length)
        {
            throw new MalformedContentException("an HDF5 structure is shorter than its fields");
        }

        return size switch
        {
            1 => data[at],
            2 => BinaryPrimitives.ReadUInt16LittleEndian(data.AsSpan(at)),
            4 => BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan(at)),
            8 => BinaryPrimitives.ReadUInt64LittleEndian(data.AsSpan(at)),
            _ => throw new MalformedContentException($"unsupported field size {size}"),
        };
    }

    private static int Byte(byte[] data, int at) =>
        at < data.Length ? data[at] : throw new MalformedContentException("an HDF5 structure is shorter than its fields");
}
