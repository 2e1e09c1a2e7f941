using Rampart.Scanning.IO;

namespace Rampart.Scanning.Compression;

/// <summary>
/// The LZMA1 decoder shared by the .lzma ("alone") and xz (LZMA2) containers: a range decoder, the adaptive
/// probability models, and the sliding dictionary. The dictionary is allocated lazily (it grows with the output up
/// to the declared size), and the declared size is refused up front when it exceeds the configured bound.
/// The container drives it: it sets properties, resets state or dictionary, starts the range coder, and asks for
/// at most as many bytes as the container says remain.
/// </summary>
internal sealed class LzmaDecoder
{
    private const int States = 12;
    private const int PosStatesMax = 16;
    private const int ProbInit = 1024;
    private const int EndPosModelIndex = 14;
    private const int FullDistances = 128;
    private const int AlignBits = 4;
    private const int MatchMinLength = 2;
    private const uint TopValue = 1u << 24;

    private readonly CompressedInput _input;
    private readonly uint _dictionarySize;
    private readonly ushort[] _isMatch = new ushort[States * PosStatesMax];
    private readonly ushort[] _isRep = new ushort[States];
    private readonly ushort[] _isRepG0 = new ushort[States];
    private readonly ushort[] _isRepG1 = new ushort[States];
    private readonly ushort[] _isRepG2 = new ushort[States];
    private readonly ushort[] _isRep0Long = new ushort[States * PosStatesMax];
    private readonly ushort[] _posSlot = new ushort[4 << 6];
    private readonly ushort[] _posSpecial = new ushort[1 + FullDistances - EndPosModelIndex];
    private readonly ushort[] _align = new ushort[1 << AlignBits];
    private readonly LengthDecoder _length = new();
    private readonly LengthDecoder _repLength = new();
    private ushort[] _literal = [];

    private byte[] _window;
    private int _windowPos;
    private bool _windowFull;
    private long _sinceReset;

    private int _lc;
    private int _lp;
    private int _pb;
    private int _state;
    private uint _rep0;
    private uint _rep1;
    private uint _rep2;
    private uint _rep3;
    private int _pendingLength;

    private uint _range;
    private uint _code;
    private long _budget;

    public LzmaDecoder(CompressedInput input, uint dictionarySize, long maxDictionaryBytes, long? knownOutputSize = null)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (dictionarySize > maxDictionaryBytes)
        {
            throw new LimitExceededException("max-header-bytes",
                $"LZMA dictionary of {dictionarySize:N0} bytes exceeds the {maxDictionaryBytes:N0}-byte bound for buffers read from headers");
        }

        _input = input;
        _dictionarySize = Math.Max(dictionarySize, 4096u);

        // Output never needs more window than it has bytes, so a small known output caps the allocation too.
        var effective = knownOutputSize is { } known ? (uint)Math.Min(_dictionarySize, Math.Max(known, 4096)) : _dictionarySize;
        _dictionarySize = effective;
        _window = new byte[Math.Min(effective, 1u << 16)];
    }

    /// <summary>True when no match is half-copied (container chunks must end on a symbol boundary).</summary>
    public bool AtSymbolBoundary => _pendingLength == 0;

    /// <summary>Compressed bytes the current chunk still may read (LZMA2); unbounded for .lzma.</summary>
    public long Budget => _budget;

    public void ResetDictionary()
    {
        _windowPos = 0;
        _windowFull = false;
        _sinceReset = 0;
    }

    public void SetProperties(int lc, int lp, int pb)
    {
        if (lc is < 0 or > 8 || lp is < 0 or > 4 || pb is < 0 or > 4)
        {
            throw _input.Error($"invalid LZMA properties lc={lc} lp={lp} pb={pb}");
        }

        _lc = lc;
        _lp = lp;
        _pb = pb;
        var literalSize = 0x300 << (lc + lp);
        if (_literal.Length != literalSize)
        {
            _literal = new ushort[literalSize];
        }
    }

    /// <summary>Decodes the LZMA properties byte (lc + lp*9 + pb*45).</summary>
    public void SetProperties(byte properties)
    {
        if (properties >= 9 * 5 * 5)
        {
            throw _input.Error($"invalid LZMA properties byte 0x{properties:X2}");
        }

        SetProperties(properties % 9, properties / 9 % 5, properties / 45);
    }

    public void ResetState()
    {
        _isMatch.AsSpan().Fill(ProbInit);
        _isRep.AsSpan().Fill(ProbInit);
        _isRepG0.AsSpan().Fill(ProbInit);
        _isRepG1.AsSpan().Fill(ProbInit);
        _isRepG2.AsSpan().Fill(ProbInit);
        _isRep0Long.AsSpan().Fill(ProbInit);
        _posSlot.AsSpan().Fill(ProbInit);
        _posSpecial.AsSpan().Fill(ProbInit);
        _align.AsSpan().Fill(ProbInit);
        _literal.AsSpan().Fill(ProbInit);
        _length.Reset();
        _repLength.Reset();
        _state = 0;
        _rep0 = _rep1 = _rep2 = _rep3 = 0;
        _pendingLength = 0;
    }

    /// <summary>Starts a range coder over the next <paramref name="compressedBudget"/> input bytes (5 are read now).</summary>
    public void StartRangeCoder(long compressedBudget)
    {
        _budget = compressedBudget;
        if (NextByte() != 0)
        {
            throw _input.Error("LZMA range coder does not start with a zero byte");
        }

        _code = 0;
        for (var i = 0; i < 4; i++)
        {
            _code = (_code << 8) | NextByte();
        }

        _range = 0xFFFFFFFFu;
        if (_code == _range)
        {
            throw _input.Error("LZMA range coder starts in an impossible state");
        }
    }

    /// <summary>True when the range coder ended cleanly (an encoder always flushes to code 0).</summary>
    public bool RangeCoderFinished => _code == 0;

    /// <summary>Copies an LZMA2 uncompressed chunk's bytes from the input into the dictionary and the output.</summary>
    public int CopyStored(Span<byte> output)
    {
        var n = _input.ReadSome(output);
        if (n == 0)
        {
            throw _input.Truncated("an LZMA2 uncompressed chunk");
        }

        foreach (var b in output[..n])
        {
            Put(b);
        }

        return n;
    }

    /// <summary>
    /// Decodes up to <paramref name="output"/>'s length. Returns the bytes written; sets <paramref name="endMarker"/>
    /// when the end-of-payload marker was decoded (only legal where <paramref name="allowEndMarker"/>).
    /// </summary>
    public int Decode(Span<byte> output, bool allowEndMarker, out bool endMarker)
    {
        endMarker = false;
        var written = 0;
        while (written < output.Length)
        {
            if (_pendingLength > 0)
            {
                var n = Math.Min(_pendingLength, output.Length - written);
                CopyMatch(output.Slice(written, n));
                written += n;
                _pendingLength -= n;
                continue;
            }

            var posState = (int)(_sinceReset & ((1 << _pb) - 1));
            var state = _state;
            if (DecodeBit(ref _isMatch[(state << 4) + posState]) == 0)
            {
                output[written++] = DecodeLiteral();
                _state = state < 4 ? 0 : state < 10 ? state - 3 : state - 6;
                continue;
            }

            int length;
            if (DecodeBit(ref _isRep[state]) == 0)
            {
                length = _length.Decode(this, posState);
                _state = state < 7 ? 7 : 10;
                var distance = DecodeDistance(length);
                if (distance == 0xFFFFFFFFu)
                {
                    if (!allowEndMarker)
                    {
                        throw _input.Error("LZMA end marker where the container does not allow one");
                    }

                    if (!RangeCoderFinished)
                    {
                        throw _input.Error("LZMA data continues after its end marker");
                    }

                    endMarker = true;
                    return written;
                }

                _rep3 = _rep2;
                _rep2 = _rep1;
                _rep1 = _rep0;
                _rep0 = distance;
            }
            else
            {
                if (_sinceReset == 0)
                {
                    throw _input.Error("LZMA repeated match before any output");
                }

                if (DecodeBit(ref _isRepG0[state]) == 0)
                {
                    if (DecodeBit(ref _isRep0Long[(state << 4) + posState]) == 0)
                    {
                        _state = state < 7 ? 9 : 11;
                        CheckDistance(_rep0);
                        var b = GetByte(_rep0 + 1);
                        Put(b);
                        output[written++] = b;
                        continue;
                    }
                }
                else
                {
                    uint distance;
                    if (DecodeBit(ref _isRepG1[state]) == 0)
                    {
                        distance = _rep1;
                    }
                    else
                    {
                        if (DecodeBit(ref _isRepG2[state]) == 0)
                        {
                            distance = _rep2;
                        }
                        else
                        {
                            distance = _rep3;
                            _rep3 = _rep2;
                        }

                        _rep2 = _rep1;
                    }

                    _rep1 = _rep0;
                    _rep0 = distance;
                }

                length = _repLength.Decode(this, posState);
                _state = state < 7 ? 8 : 11;
            }

            CheckDistance(_rep0);
            _pendingLength = length + MatchMinLength;
        }

        return written;
    }

    private void CheckDistance(uint distance)
    {
        if (distance >= _dictionarySize || (!_windowFull && distance >= _sinceReset))
        {
            throw _input.Error($"LZMA match distance {distance + 1L} reaches before the start of the data or the dictionary");
        }
    }

    private void CopyMatch(Span<byte> output)
    {
        var distance = _rep0 + 1;
        for (var i = 0; i < output.Length; i++)
        {
            var b = GetByte(distance);
            Put(b);
            output[i] = b;
        }
    }

    private byte DecodeLiteral()
    {
        var previous = _sinceReset > 0 ? GetByte(1) : 0;
        var literalState = (int)(((_sinceReset & ((1 << _lp) - 1)) << _lc) + (previous >> (8 - _lc)));
        var probs = _literal.AsSpan(0x300 * literalState, 0x300);
        var symbol = 1;
        if (_state >= 7)
        {
            CheckDistance(_rep0);
            int matchByte = GetByte(_rep0 + 1);
            do
            {
                var matchBit = (matchByte >> 7) & 1;
                matchByte <<= 1;
                var bit = DecodeBit(ref probs[((1 + matchBit) << 8) + symbol]);
                symbol = (symbol << 1) | bit;
                if (matchBit != bit)
                {
                    break;
                }
            }
            while (symbol < 0x100);
        }

        while (symbol < 0x100)
        {
            symbol = (symbol << 1) | DecodeBit(ref probs[symbol]);
        }

        var value = (byte)symbol;
        Put(value);
        return value;
    }

    private uint DecodeDistance(int length)
    {
        var lengthState = Math.Min(length, 3);
        var slot = DecodeTree(_posSlot.AsSpan(lengthState << 6, 64), 6);
        if (slot < 4)
        {
            return (uint)slot;
        }

        var directBits = (slot >> 1) - 1;
        var distance = (uint)((2 | (slot & 1)) << directBits);
        if (slot < EndPosModelIndex)
        {
            return distance + DecodeReverse(_posSpecial.AsSpan((int)distance - slot), directBits);
        }

        distance += DecodeDirect(directBits - AlignBits) << AlignBits;
        return distance + DecodeReverse(_align, AlignBits);
    }

    private int DecodeTree(Span<ushort> probs, int bits)
    {
        var m = 1;
        for (var i = 0; i < bits; i++)
        {
            m = (m << 1) | DecodeBit(ref probs[m]);
        }

        return m - (1 << bits);
    }

    private uint DecodeReverse(Span<ushort> probs, int bits)
    {
        var m = 1;
        uint symbol = 0;
        for (var i = 0; i < bits; i++)
        {
            var bit = DecodeBit(ref probs[m]);
            m = (m << 1) | bit;
            symbol |= (uint)bit << i;
        }

        return symbol;
    }

    private uint DecodeDirect(int bits)
    {
        uint result = 0;
        for (var i = 0; i < bits; i++)
        {
            _range >>= 1;
            _code -= _range;
            var t = 0u - (_code >> 31);
            _code += _range & t;
            if (_code == _range)
            {
                throw _input.Error("LZMA range coder reached an impossible state");
            }

            Normalize();
            result = (result << 1) + (t + 1);
        }

        return result;
    }

    private int DecodeBit(ref ushort probability)
    {
        var bound = (_range >> 11) * probability;
        int bit;
        if (_code < bound)
        {
            probability += (ushort)((2048 - probability) >> 5);
            _range = bound;
            bit = 0;
        }
        else
        {
            probability -= (ushort)(probability >> 5);
            _code -= bound;
            _range -= bound;
            bit = 1;
        }

        Normalize();
        return bit;
    }

    private void Normalize()
    {
        if (_range < TopValue)
        {
            _range <<= 8;
            _code = (_code << 8) | NextByte();
        }
    }

    private byte NextByte()
    {
        if (--_budget < 0)
        {
            throw _input.Error("LZMA data runs past the compressed size its container declares");
        }

        return _input.ReadByte("LZMA compressed data");
    }

    private byte GetByte(uint distance)
    {
        var index = _windowPos - (long)distance;
        if (index < 0)
        {
            index += _window.Length;
        }

        return _window[index];
    }

    private void Put(byte value)
    {
        _window[_windowPos++] = value;
        _sinceReset++;
        if (_windowPos == _window.Length)
        {
            if (_window.Length < _dictionarySize)
            {
                // Not wrapped yet: growing keeps every byte at its place.
                Array.Resize(ref _window, (int)Math.Min((long)_window.Length * 2, _dictionarySize));
            }
            else
            {
                _windowPos = 0;
                _windowFull = true;
            }
        }
    }

    private sealed class LengthDecoder
    {
        private readonly ushort[] _choice = new ushort[2];
        private readonly ushort[] _low = new ushort[PosStatesMax << 3];
        private readonly ushort[] _mid = new ushort[PosStatesMax << 3];
        private readonly ushort[] _high = new ushort[256];

        public void Reset()
        {
            _choice.AsSpan().Fill(ProbInit);
            _low.AsSpan().Fill(ProbInit);
            _mid.AsSpan().Fill(ProbInit);
            _high.AsSpan().Fill(ProbInit);
        }

        public int Decode(LzmaDecoder decoder, int posState)
        {
            if (decoder.DecodeBit(ref _choice[0]) == 0)
            {
                return decoder.DecodeTree(_low.AsSpan(posState << 3, 8), 3);
            }

            if (decoder.DecodeBit(ref _choice[1]) == 0)
            {
                return 8 + decoder.DecodeTree(_mid.AsSpan(posState << 3, 8), 3);
            }

            return 16 + decoder.DecodeTree(_high, 8);
        }
    }
}
