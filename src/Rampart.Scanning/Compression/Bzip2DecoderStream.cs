using Rampart.Scanning.IO;

namespace Rampart.Scanning.Compression;

/// <summary>
/// A streaming bzip2 decompressor written for Rampart (.NET has none). Decodes one block at a time (at most the
/// block size the stream header declares, ≤ 900,000 bytes before the final run-length step), checks every block
/// CRC and every stream's combined CRC, and continues through concatenated streams as Python's bz2 module does.
/// Any inconsistency throws <see cref="MalformedContentException"/>.
/// </summary>
internal sealed class Bzip2DecoderStream : DecompressingStream
{
    private const ulong BlockMagic = 0x314159265359UL;
    private const ulong EndMagic = 0x177245385090UL;
    private const int MaxGroups = 6;
    private const int MaxAlphaSize = 258;
    private const int MaxCodeLength = 20;
    private const int GroupSize = 50;
    private const int MaxSelectors = 18002;

    private static readonly byte[] StreamMagic = "BZh"u8.ToArray();

    // The pseudo-random table of the (long deprecated) randomised-block mode, a fixed part of the format.
    private static readonly short[] RandomNumbers =
    [
        619, 720, 127, 481, 931, 816, 813, 233, 566, 247, 985, 724, 205, 454, 863, 491,
        741, 242, 949, 214, 733, 859, 335, 708, 621, 574, 73, 654, 730, 472, 419, 436,
        278, 496, 867, 210, 399, 680, 480, 51, 878, 465, 811, 169, 869, 675, 611, 697,
        867, 561, 862, 687, 507, 283, 482, 129, 807, 591, 733, 623, 150, 238, 59, 379,
        684, 877, 625, 169, 643, 105, 170, 607, 520, 932, 727, 476, 693, 425, 174, 647,
        73, 122, 335, 530, 442, 853, 695, 249, 445, 515, 909, 545, 703, 919, 874, 474,
        882, 500, 594, 612, 641, 801, 220, 162, 819, 984, 589, 513, 495, 799, 161, 604,
        958, 533, 221, 400, 386, 867, 600, 782, 382, 596, 414, 171, 516, 375, 682, 485,
        911, 276, 98, 553, 163, 354, 666, 933, 424, 341, 533, 870, 227, 730, 475, 186,
        263, 647, 537, 686, 600, 224, 469, 68, 770, 919, 190, 373, 294, 822, 808, 206,
        184, 943, 795, 384, 383, 461, 404, 758, 839, 887, 715, 67, 618, 276, 204, 918,
        873, 777, 604, 560, 951, 160, 578, 722, 79, 804, 96, 409, 713, 940, 652, 934,
        970, 447, 318, 353, 859, 672, 112, 785, 645, 863, 803, 350, 139, 93, 354, 99,
        820, 908, 609, 772, 154, 274, 580, 184, 79, 626, 630, 742, 653, 282, 762, 623,
        680, 81, 927, 626, 789, 125, 411, 521, 938, 300, 821, 78, 343, 175, 128, 250,
        170, 774, 972, 275, 999, 639, 495, 78, 352, 126, 857, 956, 358, 619, 580, 124,
        737, 594, 701, 612, 669, 112, 134, 694, 363, 992, 809, 743, 168, 974, 944, 375,
        748, 52, 600, 747, 642, 182, 862, 81, 344, 805, 988, 739, 511, 655, 814, 334,
        249, 515, 897, 955, 664, 981, 649, 113, 974, 459, 893, 228, 433, 837, 553, 268,
        926, 240, 102, 654, 459, 51, 686, 754, 806, 760, 493, 403, 415, 394, 687, 700,
        946, 670, 656, 610, 738, 392, 760, 799, 887, 653, 978, 321, 576, 617, 626, 502,
        894, 679, 243, 440, 680, 879, 194, 572, 640, 724, 926, 56, 204, 700, 707, 151,
        457, 449, 797, 195, 791, 558, 945, 679, 297, 59, 87, 824, 713, 663, 412, 693,
        342, 606, 134, 108, 571, 364, 631, 212, 174, 643, 304, 329, 343, 97, 430, 751,
        497, 314, 983, 374, 822, 928, 140, 206, 73, 263, 980, 736, 876, 478, 430, 305,
        170, 514, 364, 692, 829, 82, 855, 953, 676, 246, 369, 970, 294, 750, 807, 827,
        150, 790, 288, 923, 804, 378, 215, 828, 592, 281, 565, 555, 710, 82, 896, 831,
        547, 261, 524, 462, 293, 465, 502, 56, 661, 821, 976, 991, 658, 869, 905, 758,
        745, 193, 768, 550, 608, 933, 378, 286, 215, 979, 792, 961, 61, 688, 793, 644,
        986, 403, 106, 366, 905, 644, 372, 567, 466, 434, 645, 210, 389, 550, 919, 135,
        780, 773, 635, 389, 707, 100, 626, 958, 165, 504, 920, 176, 193, 713, 857, 265,
        203, 50, 668, 108, 645, 990, 626, 197, 510, 357, 358, 850, 858, 364, 936, 638,
    ];

    private readonly byte[] _selectors = new byte[MaxSelectors];
    private readonly byte[][] _lengths = CreateJagged(MaxGroups, MaxAlphaSize);
    private readonly HuffmanTable[] _tables = [new(), new(), new(), new(), new(), new()];
    private readonly int[] _byteCounts = new int[256];
    private readonly byte[] _seqToUnseq = new byte[256];
    private readonly byte[] _mtf = new byte[256];

    private ulong _bits;
    private int _bitCount;
    private int[] _tt = [];
    private int _blockSizeMax;
    private bool _inStream;
    private bool _finished;
    private uint _streamCrc;

    // State of the block being emitted.
    private bool _inBlock;
    private int _bwtRemaining;
    private int _tPos;
    private bool _randomised;
    private int _randToGo;
    private int _randPos;
    private int _lastByte;
    private int _runCount;
    private int _repeatRemaining;
    private uint _blockCrc;
    private uint _expectedBlockCrc;

    public Bzip2DecoderStream(Stream compressed, bool leaveOpen = false)
        : base(compressed, leaveOpen)
    {
    }

    /// <summary>The block size digit of the first stream header (1-9), once read.</summary>
    public int BlockSizeDigit { get; private set; }

    protected override int ReadCore(Span<byte> buffer)
    {
        var written = 0;
        while (written < buffer.Length)
        {
            if (_repeatRemaining > 0)
            {
                var n = Math.Min(_repeatRemaining, buffer.Length - written);
                var b = (byte)_lastByte;
                for (var i = 0; i < n; i++)
                {
                    _blockCrc = Bzip2Crc.Update(_blockCrc, b);
                }

                buffer.Slice(written, n).Fill(b);
                written += n;
                _repeatRemaining -= n;
                continue;
            }

            if (_bwtRemaining > 0)
            {
                written += EmitBlockBytes(buffer[written..]);
                continue;
            }

            if (_inBlock)
            {
                FinishBlock();
                continue;
            }

            if (_finished || !AdvanceToNextBlock())
            {
                break;
            }
        }

        return written;
    }

    private int EmitBlockBytes(Span<byte> output)
    {
        var written = 0;
        var tt = _tt;
        var tPos = _tPos;
        var crc = _blockCrc;
        var last = _lastByte;
        var runCount = _runCount;
        while (written < output.Length && _bwtRemaining > 0)
        {
            tPos = tt[tPos];
            var ch = tPos & 0xFF;
            tPos >>= 8;
            _bwtRemaining--;
            if (_randomised)
            {
                if (_randToGo == 0)
                {
                    _randToGo = RandomNumbers[_randPos];
                    _randPos = (_randPos + 1) & 511;
                }

                _randToGo--;
                if (_randToGo == 1)
                {
                    ch ^= 1;
                }
            }

            if (runCount == 4)
            {
                // After four equal bytes the next byte is a count of further repetitions.
                runCount = 0;
                _repeatRemaining = ch;
                break;
            }

            if (ch == last)
            {
                runCount++;
            }
            else
            {
                runCount = 1;
                last = ch;
            }

            output[written++] = (byte)ch;
            crc = Bzip2Crc.Update(crc, (byte)ch);
        }

        _tPos = tPos;
        _blockCrc = crc;
        _lastByte = last;
        _runCount = runCount;
        return written;
    }

    private void FinishBlock()
    {
        _inBlock = false;
        var actual = Bzip2Crc.Finish(_blockCrc);
        if (actual != _expectedBlockCrc)
        {
            throw Input.Error($"bzip2 block CRC mismatch (stored 0x{_expectedBlockCrc:X8}, computed 0x{actual:X8})");
        }

        _streamCrc = ((_streamCrc << 1) | (_streamCrc >> 31)) ^ actual;
    }

    /// <summary>Reads stream headers, end-of-stream records and block headers until a block is ready; false at the end.</summary>
    private bool AdvanceToNextBlock()
    {
        while (true)
        {
            if (!_inStream)
            {
                if (StreamCount > 0 && !NextStreamFollows(StreamMagic, 0))
                {
                    _finished = true;
                    return false;
                }

                ReadStreamHeader();
            }

            var magic = ((ulong)ReadBits(24) << 24) | ReadBits(24);
            if (magic == BlockMagic)
            {
                DecodeBlock();
                return true;
            }

            if (magic != EndMagic)
            {
                throw Input.Error($"bzip2 block header magic expected, found 0x{magic:X12}");
            }

            var stored = ReadBits(32);
            if (stored != _streamCrc)
            {
                throw Input.Error($"bzip2 stream CRC mismatch (stored 0x{stored:X8}, computed 0x{_streamCrc:X8})");
            }

            _bitCount = 0; // the stream is padded to a whole byte
            _inStream = false;
            StreamCount++;
        }
    }

    private void ReadStreamHeader()
    {
        Span<byte> header = stackalloc byte[4];
        Input.ReadExactly(header, "the bzip2 stream header");
        if (header[0] != 'B' || header[1] != 'Z' || header[2] != 'h' || header[3] < '1' || header[3] > '9')
        {
            throw Input.Error("not a bzip2 stream header (expected 'BZh' and a block size digit 1-9)");
        }

        var digit = header[3] - '0';
        if (BlockSizeDigit == 0)
        {
            BlockSizeDigit = digit;
        }

        _blockSizeMax = digit * 100_000;
        if (_tt.Length < _blockSizeMax)
        {
            _tt = new int[_blockSizeMax];
        }

        _streamCrc = 0;
        _inStream = true;
    }

    private void DecodeBlock()
    {
        _expectedBlockCrc = ReadBits(32);
        _randomised = ReadBits(1) == 1;
        var origPtr = (int)ReadBits(24);

        // Which byte values occur: a 16-bit map of 16-value ranges, then a 16-bit map per range present.
        var numInUse = 0;
        var ranges = ReadBits(16);
        for (var i = 0; i < 16; i++)
        {
            if ((ranges & (0x8000u >> i)) != 0)
            {
                var used = ReadBits(16);
                for (var j = 0; j < 16; j++)
                {
                    if ((used & (0x8000u >> j)) != 0)
                    {
                        _seqToUnseq[numInUse++] = (byte)((i * 16) + j);
                    }
                }
            }
        }

        if (numInUse == 0)
        {
            throw Input.Error("bzip2 block uses no byte values");
        }

        var alphaSize = numInUse + 2;
        var groups = (int)ReadBits(3);
        if (groups is < 2 or > MaxGroups)
        {
            throw Input.Error($"bzip2 block declares {groups} Huffman tables (2-6 allowed)");
        }

        var selectorCount = (int)ReadBits(15);
        if (selectorCount < 1)
        {
            throw Input.Error("bzip2 block declares no selectors");
        }

        // Selectors are move-to-front coded in unary. Like bzip2 1.0.8, more than the usable maximum are read but ignored.
        Span<byte> selectorMtf = stackalloc byte[MaxGroups];
        for (var i = 0; i < groups; i++)
        {
            selectorMtf[i] = (byte)i;
        }

        var stored = Math.Min(selectorCount, MaxSelectors);
        for (var i = 0; i < selectorCount; i++)
        {
            var j = 0;
            while (ReadBits(1) == 1)
            {
                if (++j >= groups)
                {
                    throw Input.Error("bzip2 selector refers to a Huffman table that does not exist");
                }
            }

            var value = selectorMtf[j];
            for (var k = j; k > 0; k--)
            {
                selectorMtf[k] = selectorMtf[k - 1];
            }

            selectorMtf[0] = value;
            if (i < stored)
            {
                _selectors[i] = value;
            }
        }

        for (var t = 0; t < groups; t++)
        {
            var length = (int)ReadBits(5);
            var lengths = _lengths[t];
            for (var s = 0; s < alphaSize; s++)
            {
                while (true)
                {
                    if (length is < 1 or > MaxCodeLength)
                    {
                        throw Input.Error("bzip2 Huffman code length out of range (1-20)");
                    }

                    if (ReadBits(1) == 0)
                    {
                        break;
                    }

                    length += ReadBits(1) == 0 ? 1 : -1;
                }

                lengths[s] = (byte)length;
            }

            _tables[t].Build(lengths.AsSpan(0, alphaSize));
        }

        DecodeSymbols(numInUse, alphaSize, stored);
        var blockLength = _byteCounts.Sum();
        if (origPtr >= blockLength)
        {
            throw Input.Error($"bzip2 block origin pointer {origPtr} is outside the block ({blockLength} bytes)");
        }

        // Inverse Burrows-Wheeler transform: link each position to its successor in the original order.
        Span<int> starts = stackalloc int[256];
        var sum = 0;
        for (var i = 0; i < 256; i++)
        {
            starts[i] = sum;
            sum += _byteCounts[i];
        }

        var tt = _tt;
        for (var i = 0; i < blockLength; i++)
        {
            var b = tt[i] & 0xFF;
            tt[starts[b]++] |= i << 8;
        }

        _tPos = tt[origPtr] >> 8;
        _bwtRemaining = blockLength;
        _randToGo = 0;
        _randPos = 0;
        _lastByte = -1;
        _runCount = 0;
        _repeatRemaining = 0;
        _blockCrc = Bzip2Crc.Initial;
        _inBlock = true;
    }

    /// <summary>Huffman → run-length (RUNA/RUNB) → move-to-front decoding into the low bytes of tt.</summary>
    private void DecodeSymbols(int numInUse, int alphaSize, int selectorCount)
    {
        Array.Clear(_byteCounts);
        for (var i = 0; i < 256; i++)
        {
            _mtf[i] = (byte)i;
        }

        var endOfBlock = numInUse + 1;
        var tt = _tt;
        var count = 0;
        var group = -1;
        var groupRemaining = 0;
        HuffmanTable table = _tables[0];
        var run = 0;
        var runWeight = 1;
        while (true)
        {
            if (groupRemaining == 0)
            {
                if (++group >= selectorCount)
                {
                    throw Input.Error("bzip2 block has more symbols than its selectors cover");
                }

                table = _tables[_selectors[group]];
                groupRemaining = GroupSize;
            }

            groupRemaining--;
            var symbol = DecodeSymbol(table, alphaSize);
            if (symbol <= 1)
            {
                // RUNA (0) and RUNB (1) write the run length in bijective base 2.
                if (runWeight > _blockSizeMax)
                {
                    throw Input.Error("bzip2 run length overflows the block");
                }

                run += (symbol + 1) * runWeight;
                runWeight <<= 1;
                continue;
            }

            if (run > 0)
            {
                if (run > _blockSizeMax - count)
                {
                    throw Input.Error("bzip2 block is longer than its declared block size");
                }

                var value = _seqToUnseq[_mtf[0]];
                _byteCounts[value] += run;
                tt.AsSpan(count, run).Fill(value);
                count += run;
                run = 0;
                runWeight = 1;
            }

            if (symbol == endOfBlock)
            {
                break;
            }

            if (count >= _blockSizeMax)
            {
                throw Input.Error("bzip2 block is longer than its declared block size");
            }

            // Move-to-front: symbol n stands for the n-th most recent value (n = symbol - 1).
            var index = symbol - 1;
            var front = _mtf[index];
            Buffer.BlockCopy(_mtf, 0, _mtf, 1, index);
            _mtf[0] = front;
            var b = _seqToUnseq[front];
            _byteCounts[b]++;
            tt[count++] = b;
        }
    }

    private int DecodeSymbol(HuffmanTable table, int alphaSize)
    {
        // Fast path: codes of up to FastBits bits are looked up directly.
        while (_bitCount < HuffmanTable.FastBits)
        {
            var next = Input.TryReadByte();
            if (next < 0)
            {
                break;
            }

            _bits = (_bits << 8) | (uint)next;
            _bitCount += 8;
        }

        if (_bitCount >= HuffmanTable.FastBits)
        {
            var entry = table.Fast[(int)(_bits >> (_bitCount - HuffmanTable.FastBits)) & ((1 << HuffmanTable.FastBits) - 1)];
            if (entry != 0)
            {
                _bitCount -= entry & 31;
                return entry >> 5;
            }
        }

        var length = table.MinLength;
        var code = (int)ReadBits(length);
        while (true)
        {
            if (code <= table.Limit[length])
            {
                var index = table.Offset[length] + code - table.FirstCode[length];
                if ((uint)index >= (uint)alphaSize)
                {
                    throw Input.Error("bzip2 Huffman code does not map to a symbol");
                }

                return table.Symbols[index];
            }

            if (++length > table.MaxLength)
            {
                throw Input.Error("bzip2 Huffman code is not in the table");
            }

            code = (code << 1) | (int)ReadBits(1);
        }
    }

    private uint ReadBits(int count)
    {
        while (_bitCount < count)
        {
            _bits = (_bits << 8) | Input.ReadByte("a bzip2 stream");
            _bitCount += 8;
        }

        _bitCount -= count;
        return (uint)(_bits >> _bitCount) & (uint)((1UL << count) - 1);
    }

    private static byte[][] CreateJagged(int rows, int columns)
    {
        var result = new byte[rows][];
        for (var i = 0; i < rows; i++)
        {
            result[i] = new byte[columns];
        }

        return result;
    }

    /// <summary>A canonical Huffman code: codes of each length are consecutive, assigned in symbol order.</summary>
    private sealed class HuffmanTable
    {
        public const int FastBits = 10;

        /// <summary>By the next <see cref="FastBits"/> bits: symbol &lt;&lt; 5 | code length, or 0 for longer codes.</summary>
        public int[] Fast { get; } = new int[1 << FastBits];

        public int[] Limit { get; } = new int[MaxCodeLength + 2];

        public int[] FirstCode { get; } = new int[MaxCodeLength + 2];

        public int[] Offset { get; } = new int[MaxCodeLength + 2];

        public int[] Symbols { get; } = new int[MaxAlphaSize];

        public int MinLength { get; private set; }

        public int MaxLength { get; private set; }

        public void Build(ReadOnlySpan<byte> lengths)
        {
            MinLength = MaxCodeLength;
            MaxLength = 1;
            Span<int> counts = stackalloc int[MaxCodeLength + 2];
            foreach (var l in lengths)
            {
                counts[l]++;
                MinLength = Math.Min(MinLength, l);
                MaxLength = Math.Max(MaxLength, l);
            }

            var index = 0;
            for (var l = 1; l <= MaxCodeLength; l++)
            {
                for (var s = 0; s < lengths.Length; s++)
                {
                    if (lengths[s] == l)
                    {
                        Symbols[index++] = s;
                    }
                }
            }

            var code = 0;
            var offset = 0;
            for (var l = 1; l <= MaxCodeLength; l++)
            {
                FirstCode[l] = code;
                Offset[l] = offset;
                Limit[l] = code + counts[l] - 1;
                offset += counts[l];
                code = (code + counts[l]) << 1;
            }

            Array.Clear(Fast);
            for (var l = 1; l <= FastBits; l++)
            {
                for (var k = 0; k < counts[l]; k++)
                {
                    var span = 1 << (FastBits - l);
                    var start = (FirstCode[l] + k) << (FastBits - l);
                    if (start + span > Fast.Length)
                    {
                        return; // over-subscribed lengths: the slow path reports what does not fit
                    }

                    Fast.AsSpan(start, span).Fill((Symbols[Offset[l] + k] << 5) | l);
                }
            }
        }
    }
}
