using System.Buffers.Binary;
using System.Text;
using Rampart.Core;

namespace Rampart.Scanning.Analyzers.Pickle;

/// <summary>
/// Reads the arguments of pickle opcodes from the input: counted and quoted strings (long ones keep only a prefix,
/// short ones come from a small cache), byte payloads (skipped, only their length kept), LONG1/LONG4 integers and
/// 8-byte lengths. One instance serves one <see cref="PickleMachine"/>.
/// </summary>
internal sealed class PickleArguments(PickleInput input, ScanLimits limits)
{
    /// <summary>Strings longer than this keep only this prefix (they are skipped, not copied).</summary>
    public const int KeptStringBytes = 64 * 1024;

    private const int CachedStringBytes = 32;

    private const int StringCacheSize = 1024;

    /// <summary>Strings decoded before the cache pays for its 16 KB.</summary>
    private const int UncachedStringsBeforeCache = 64;

    private readonly PickleInput _input = input;
    private readonly ScanLimits _limits = limits;

    // Allocated on first use: most pickles a scan meets (sniffed heads, small members) decode a handful of strings.
    private (byte[] Key, PStr? Value)[]? _stringCache;
    private int _uncachedStrings;

    public string ReadNameLine(string what)
    {
        var line = _input.ReadLine(KeptStringBytes, what);
        return Encoding.UTF8.GetString(line);
    }

    public long ReadLength8(string what, long offset)
    {
        var length = BinaryPrimitives.ReadUInt64LittleEndian(_input.Read(8, what + " length"));
        if (length > long.MaxValue)
        {
            throw new PickleFormatException($"{what} exceeds system's maximum size", offset);
        }

        return (long)length;
    }

    public PStr ReadCountedString(long length, string source, Encoding encoding)
    {
        if (length <= CachedStringBytes)
        {
            return CachedString(_input.Read((int)length, source + " argument"), source, encoding);
        }

        if (length <= KeptStringBytes)
        {
            return new PStr(encoding.GetString(_input.Read((int)length, source + " argument")), false, source);
        }

        var prefix = encoding.GetString(_input.Read(KeptStringBytes, source + " argument"));
        _input.Skip(length - KeptStringBytes, source + " argument");
        return new PStr(prefix, true, source);
    }

    /// <summary>
    /// Short strings (dict keys, attribute and module names) repeat all over large pickles: a small direct-mapped
    /// cache hands out the same immutable <see cref="PStr"/> for the same bytes and opcode instead of decoding again.
    /// </summary>
    private PStr CachedString(ReadOnlySpan<byte> bytes, string source, Encoding encoding)
    {
        var hash = 2166136261u;
        foreach (var b in bytes)
        {
            hash = (hash ^ b) * 16777619u;
        }

        if (_stringCache is null)
        {
            if (++_uncachedStrings <= UncachedStringsBeforeCache)
            {
                return new PStr(encoding.GetString(bytes), false, source);
            }

            _stringCache = new (byte[], PStr?)[StringCacheSize];
        }

        ref var slot = ref _stringCache[hash & (StringCacheSize - 1)];
        if (slot.Value is { } cached && ReferenceEquals(cached.Source, source) && bytes.SequenceEqual(slot.Key))
        {
            return cached;
        }

        var value = new PStr(encoding.GetString(bytes), false, source);
        slot = (bytes.ToArray(), value);
        return value;
    }

    public PBytes SkipBytes(long length, string source, bool mutable)
    {
        _input.Skip(length, source + " argument");
        return new PBytes(length, mutable);
    }

    public PInt ReadLong(int length, string source)
    {
        if (length > 8)
        {
            // The value is only "big"; skip its bytes rather than buffer them (LONG4 may declare 2 GiB).
            _input.Skip(length, source + " argument");
            return PInt.Big;
        }

        var bytes = _input.Read(length, source + " argument");
        if (length == 0)
        {
            return PInt.Of(0);
        }

        long value = 0;
        for (var i = length - 1; i >= 0; i--)
        {
            value = (value << 8) | bytes[i];
        }

        if (length < 8 && (bytes[length - 1] & 0x80) != 0)
        {
            value -= 1L << (8 * length);
        }

        return PInt.Of(value);
    }

    public static string Keep(ReadOnlySpan<byte> bytes, Encoding encoding) =>
        encoding.GetString(bytes.Length > KeptStringBytes ? bytes[..KeptStringBytes] : bytes);

    public PStr ReadQuotedString(long offset)
    {
        var line = _input.ReadLine(_limits.MaxPickleStringBytes, "STRING");
        if (line.Length < 2 || line[0] != line[^1] || (line[0] != '\'' && line[0] != '"'))
        {
            throw new PickleFormatException("the STRING opcode argument must be quoted", offset);
        }

        var inner = line[1..^1];
        var kept = inner.Length > KeptStringBytes ? inner[..KeptStringBytes] : inner;
        return new PStr(PickleCodecs.DecodeEscapes(kept, offset), inner.Length > KeptStringBytes, "STRING");
    }
}
