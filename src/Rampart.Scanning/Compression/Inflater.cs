namespace Rampart.Scanning.Compression;

/// <summary>
/// A raw deflate (RFC 1951) decoder written for Rampart. The BCL's inflater reads ahead of the end of the deflate
/// data and does not say where it ended; gzip members, zlib trailers and trailing data need that exact position,
/// so this decoder reads bits one byte at a time and gives back unused whole bytes at the end.
/// </summary>
internal sealed class Inflater
{
    private const int WindowSize = 32 * 1024;
    private const int MaxBits = 15;

    private static readonly ushort[] LengthBase = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258];
    private static readonly byte[] LengthExtra = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0];
    private static readonly ushort[] DistanceBase = [1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577];
    private static readonly byte[] DistanceExtra = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13];
    private static readonly byte[] CodeLengthOrder = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15];
    private static readonly Lazy<(HuffmanTable Literals, HuffmanTable Distances)> FixedTables = new(BuildFixedTables);

    private readonly CompressedInput _input;
    private readonly byte[] _window = new byte[WindowSize];
    private readonly HuffmanTable _dynamicLiterals = new();
    private readonly HuffmanTable _dynamicDistances = new();
    private readonly HuffmanTable _codeLengths = new();
    private int _windowPos;
    private long _total;
    private ulong _bits;
    private int _bitCount;

    private Mode _mode = Mode.BlockHeader;
    private bool _finalBlock;
    private int _storedRemaining;
    private HuffmanTable? _literals;
    private HuffmanTable? _distances;
    private int _matchRemaining;
    private int _matchDistance;

    public Inflater(CompressedInput input)
    {
        _input = input;
    }

    private enum Mode
    {
        BlockHeader,
        Stored,
        Huffman,
        Done,
    }

    /// <summary>Prepares for a new deflate stream (the next gzip member), keeping the allocated buffers.</summary>
    public void Reset()
    {
        _windowPos = 0;
        _total = 0;
        _bits = 0;
        _bitCount = 0;
        _mode = Mode.BlockHeader;
        _finalBlock = false;
        _storedRemaining = 0;
        _literals = null;
        _distances = null;
        _matchRemaining = 0;
        _matchDistance = 0;
    }

    /// <summary>Inflates into <paramref name="output"/>; 0 once the final block has ended (the input then sits right after it).</summary>
    public int Read(Span<byte> output)
    {
        var written = 0;
        while (written < output.Length)
        {
            if (_matchRemaining > 0)
            {
                var n = Math.Min(_matchRemaining, output.Length - written);
                CopyMatch(output.Slice(written, n));
                written += n;
                _matchRemaining -= n;
                continue;
            }

            switch (_mode)
            {
                case Mode.BlockHeader:
                    if (_finalBlock)
                    {
                        Finish();
                        return written;
                    }

                    ReadBlockHeader();
                    break;
                case Mode.Stored:
                    written += CopyStored(output[written..]);
                    break;
                case Mode.Huffman:
                    written += DecodeHuffman(output[written..]);
                    break;
                default:
                    return written;
            }
        }

        return written;
    }

    private void Finish()
    {
        // Whole bytes fetched ahead of the end belong to whatever follows the deflate data.
        _input.Unread(_bitCount / 8);
        _bits = 0;
        _bitCount = 0;
        _mode = Mode.Done;
    }

    private void ReadBlockHeader()
    {
        _finalBlock = GetBits(1) == 1;
        switch (GetBits(2))
        {
            case 0:
                DropToByteBoundary();
                var length = (int)GetBits(16);
                var complement = (int)GetBits(16);
                if ((length ^ 0xFFFF) != complement)
                {
                    throw _input.Error("deflate stored block length check failed");
                }

                _storedRemaining = length;
                _mode = Mode.Stored;
                break;
            case 1:
                (_literals, _distances) = FixedTables.Value;
                _mode = Mode.Huffman;
                break;
            case 2:
                ReadDynamicTables();
                _literals = _dynamicLiterals;
                _distances = _dynamicDistances;
                _mode = Mode.Huffman;
                break;
            default:
                throw _input.Error("deflate block type 3 is invalid");
        }
    }

    private void ReadDynamicTables()
    {
        var literalCount = (int)GetBits(5) + 257;
        var distanceCount = (int)GetBits(5) + 1;
        var codeLengthCount = (int)GetBits(4) + 4;
        if (literalCount > 286 || distanceCount > 30)
        {
            throw _input.Error("deflate dynamic block declares too many codes");
        }

        Span<byte> codeLengthLengths = stackalloc byte[19];
        for (var i = 0; i < codeLengthCount; i++)
        {
            codeLengthLengths[CodeLengthOrder[i]] = (byte)GetBits(3);
        }

        _codeLengths.Build(codeLengthLengths, _input);
        Span<byte> lengths = stackalloc byte[286 + 30];
        var total = literalCount + distanceCount;
        var index = 0;
        while (index < total)
        {
            var symbol = Decode(_codeLengths);
            if (symbol < 16)
            {
                lengths[index++] = (byte)symbol;
                continue;
            }

            byte value = 0;
            int repeat;
            if (symbol == 16)
            {
                if (index == 0)
                {
                    throw _input.Error("deflate code length repeat with nothing to repeat");
                }

                value = lengths[index - 1];
                repeat = 3 + (int)GetBits(2);
            }
            else
            {
                repeat = symbol == 17 ? 3 + (int)GetBits(3) : 11 + (int)GetBits(7);
            }

            if (index + repeat > total)
            {
                throw _input.Error("deflate code lengths overflow the declared counts");
            }

            lengths.Slice(index, repeat).Fill(value);
            index += repeat;
        }

        if (lengths[256] == 0)
        {
            throw _input.Error("deflate dynamic block has no end-of-block code");
        }

        _dynamicLiterals.Build(lengths[..literalCount], _input);
        _dynamicDistances.Build(lengths.Slice(literalCount, distanceCount), _input);
    }

    private int CopyStored(Span<byte> output)
    {
        if (_storedRemaining == 0)
        {
            _mode = Mode.BlockHeader;
            return 0;
        }

        var n = Math.Min(output.Length, _storedRemaining);
        var written = 0;

        // Bytes already in the bit buffer come first, then straight from the input.
        while (written < n && _bitCount >= 8)
        {
            output[written++] = (byte)GetBits(8);
        }

        while (written < n)
        {
            var read = _input.ReadSome(output[written..n]);
            if (read == 0)
            {
                throw _input.Truncated("a deflate stored block");
            }

            written += read;
        }

        foreach (var b in output[..written])
        {
            Put(b);
        }

        _storedRemaining -= written;
        return written;
    }

    private int DecodeHuffman(Span<byte> output)
    {
        var written = 0;
        var literals = _literals!;
        var distances = _distances!;
        while (written < output.Length)
        {
            var symbol = Decode(literals);
            if (symbol < 256)
            {
                output[written++] = (byte)symbol;
                Put((byte)symbol);
                continue;
            }

            if (symbol == 256)
            {
                _mode = Mode.BlockHeader;
                return written;
            }

            symbol -= 257;
            if (symbol >= 29)
            {
                throw _input.Error("deflate length symbol out of range");
            }

            var length = LengthBase[symbol] + (int)GetBits(LengthExtra[symbol]);
            var distanceSymbol = Decode(distances);
            if (distanceSymbol >= 30)
            {
                throw _input.Error("deflate distance symbol out of range");
            }

            var distance = DistanceBase[distanceSymbol] + (int)GetBits(DistanceExtra[distanceSymbol]);
            if (distance > _total)
            {
                throw _input.Error("deflate match refers before the start of the data");
            }

            _matchDistance = distance;
            _matchRemaining = length;
            return written;
        }

        return written;
    }

    private void CopyMatch(Span<byte> output)
    {
        var from = _windowPos - _matchDistance;
        if (from < 0)
        {
            from += WindowSize;
        }

        for (var i = 0; i < output.Length; i++)
        {
            var b = _window[from];
            from = (from + 1) & (WindowSize - 1);
            output[i] = b;
            Put(b);
        }
    }

    private void Put(byte b)
    {
        _window[_windowPos] = b;
        _windowPos = (_windowPos + 1) & (WindowSize - 1);
        _total++;
    }

    private int Decode(HuffmanTable table)
    {
        Refill(MaxBits);
        var entry = table.Entries[(int)(_bits & (uint)table.Mask)];
        var length = entry & 0xF;
        if (length == 0 || length > _bitCount)
        {
            throw length == 0 ? _input.Error("deflate Huffman code not in the table") : _input.Truncated("deflate data");
        }

        _bits >>= length;
        _bitCount -= length;
        return entry >> 4;
    }

    private uint GetBits(int count)
    {
        if (count == 0)
        {
            return 0;
        }

        Refill(count);
        if (_bitCount < count)
        {
            throw _input.Truncated("deflate data");
        }

        var value = (uint)(_bits & ((1UL << count) - 1));
        _bits >>= count;
        _bitCount -= count;
        return value;
    }

    private void DropToByteBoundary()
    {
        var drop = _bitCount % 8;
        _bits >>= drop;
        _bitCount -= drop;
    }

    /// <summary>Fetches whole bytes until <paramref name="count"/> bits are buffered or the input ends.</summary>
    private void Refill(int count)
    {
        while (_bitCount < count)
        {
            var b = _input.TryReadByte();
            if (b < 0)
            {
                return;
            }

            _bits |= (ulong)b << _bitCount;
            _bitCount += 8;
        }
    }

    private static (HuffmanTable, HuffmanTable) BuildFixedTables()
    {
        Span<byte> lengths = stackalloc byte[288];
        lengths[..144].Fill(8);
        lengths[144..256].Fill(9);
        lengths[256..280].Fill(7);
        lengths[280..].Fill(8);
        var literals = new HuffmanTable();
        literals.Build(lengths, null);
        Span<byte> distances = stackalloc byte[30];
        distances.Fill(5);
        var distanceTable = new HuffmanTable();
        distanceTable.Build(distances, null);
        return (literals, distanceTable);
    }

    /// <summary>A single-level lookup table indexed by the next bits (least significant first): symbol &lt;&lt; 4 | length.</summary>
    private sealed class HuffmanTable
    {
        public int[] Entries { get; private set; } = new int[1 << MaxBits];

        public int Mask { get; private set; }

        public void Build(ReadOnlySpan<byte> lengths, CompressedInput? input)
        {
            Span<int> counts = stackalloc int[MaxBits + 1];
            var maxLength = 0;
            foreach (var l in lengths)
            {
                counts[l]++;
                maxLength = Math.Max(maxLength, l);
            }

            counts[0] = 0;
            var left = 1;
            for (var l = 1; l <= MaxBits; l++)
            {
                left = (left << 1) - counts[l];
                if (left < 0)
                {
                    throw input is null ? new InvalidOperationException("bad fixed table") : input.Error("deflate Huffman code lengths are over-subscribed");
                }
            }

            maxLength = Math.Max(maxLength, 1);
            var size = 1 << maxLength;
            Mask = size - 1;
            Entries.AsSpan(0, size).Clear();
            Span<int> next = stackalloc int[MaxBits + 2];
            var code = 0;
            for (var l = 1; l <= MaxBits; l++)
            {
                code = (code + counts[l - 1]) << 1;
                next[l] = code;
            }

            for (var symbol = 0; symbol < lengths.Length; symbol++)
            {
                int l = lengths[symbol];
                if (l == 0)
                {
                    continue;
                }

                var reversed = Reverse(next[l]++, l);
                for (var i = reversed; i < size; i += 1 << l)
                {
                    Entries[i] = (symbol << 4) | l;
                }
            }
        }

        private static int Reverse(int code, int length)
        {
            var result = 0;
            for (var i = 0; i < length; i++)
            {
                result = (result << 1) | (code & 1);
                code >>= 1;
            }

            return result;
        }
    }
}
