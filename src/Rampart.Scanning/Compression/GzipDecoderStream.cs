using System.Buffers.Binary;
using System.Text;
using Rampart.Scanning.IO;

namespace Rampart.Scanning.Compression;

/// <summary>
/// gzip (RFC 1952): one or more members, each a header (with optional FEXTRA, FNAME, FCOMMENT, FHCRC fields, all
/// bounded), raw deflate data, and a CRC32 + size trailer that is verified. Like Python's gzip module, zero bytes
/// between or after members are skipped; anything else after a member ends decoding and is reported as trailing data.
/// </summary>
internal sealed class GzipDecoderStream : DecompressingStream
{
    private const int KeptTextBytes = 256;

    private static readonly byte[] Magic = [0x1F, 0x8B];

    private readonly long _maxHeaderBytes;
    private DeflateBody? _body;
    private Inflater? _inflater;
    private bool _done;

    public GzipDecoderStream(Stream compressed, long maxHeaderBytes, bool leaveOpen = false)
        : base(compressed, leaveOpen)
    {
        _maxHeaderBytes = maxHeaderBytes;
    }

    /// <summary>The FNAME field of the first member (first 256 bytes, Latin-1, control characters as '?'), if any.</summary>
    public string? OriginalName { get; private set; }

    /// <summary>The FCOMMENT field of the first member (first 256 bytes, Latin-1), if any.</summary>
    public string? Comment { get; private set; }

    protected override int ReadCore(Span<byte> buffer)
    {
        while (!_done)
        {
            if (_body is null)
            {
                if (StreamCount > 0 && !NextStreamFollows(Magic, 1))
                {
                    _done = true;
                    break;
                }

                ReadHeader();
                _body = new DeflateBody(_inflater ??= new Inflater(Input), computeAdler: false);
            }

            var n = _body.Read(buffer);
            if (n > 0)
            {
                return n;
            }

            var crc = Input.ReadUInt32LittleEndian("the gzip member trailer");
            var size = Input.ReadUInt32LittleEndian("the gzip member trailer");
            if (crc != _body.Crc)
            {
                throw Input.Error($"gzip member CRC32 mismatch (stored 0x{crc:X8}, computed 0x{_body.Crc:X8})");
            }

            if (size != (uint)_body.Size)
            {
                throw Input.Error($"gzip member size mismatch (stored {size}, decompressed {_body.Size} mod 2^32)");
            }

            _body = null;
            StreamCount++;
        }

        return 0;
    }

    private void ReadHeader()
    {
        var crc = new System.IO.Hashing.Crc32();
        Span<byte> fixedPart = stackalloc byte[10];
        Input.ReadExactly(fixedPart, "the gzip header");
        crc.Append(fixedPart);
        if (fixedPart[0] != 0x1F || fixedPart[1] != 0x8B)
        {
            throw Input.Error("not a gzip member header");
        }

        if (fixedPart[2] != 8)
        {
            throw Input.Error($"gzip compression method {fixedPart[2]} is not deflate (8)");
        }

        var flags = fixedPart[3];
        if ((flags & 0xE0) != 0)
        {
            throw Input.Error("gzip header sets reserved flag bits");
        }

        if ((flags & 0x04) != 0)
        {
            Span<byte> lengthBytes = stackalloc byte[2];
            Input.ReadExactly(lengthBytes, "the gzip FEXTRA length");
            crc.Append(lengthBytes);
            var extra = new byte[BinaryPrimitives.ReadUInt16LittleEndian(lengthBytes)];
            Input.ReadExactly(extra, "the gzip FEXTRA field");
            crc.Append(extra);
        }

        if ((flags & 0x08) != 0)
        {
            var name = ReadZeroTerminated("FNAME", crc);
            OriginalName ??= StreamCount == 0 ? name : null;
        }

        if ((flags & 0x10) != 0)
        {
            var comment = ReadZeroTerminated("FCOMMENT", crc);
            Comment ??= StreamCount == 0 ? comment : null;
        }

        if ((flags & 0x02) != 0)
        {
            Span<byte> stored = stackalloc byte[2];
            Input.ReadExactly(stored, "the gzip FHCRC field");
            if (BinaryPrimitives.ReadUInt16LittleEndian(stored) != (ushort)crc.GetCurrentHashAsUInt32())
            {
                throw Input.Error("gzip header CRC16 (FHCRC) mismatch");
            }
        }
    }

    private string ReadZeroTerminated(string field, System.IO.Hashing.Crc32 crc)
    {
        var kept = new StringBuilder();
        long length = 0;
        while (true)
        {
            var b = Input.ReadByte($"the gzip {field} field");
            crc.Append([b]);
            if (b == 0)
            {
                return kept.ToString();
            }

            if (++length > _maxHeaderBytes)
            {
                throw new LimitExceededException("max-header-bytes", $"gzip {field} field is longer than {_maxHeaderBytes:N0} bytes");
            }

            if (kept.Length < KeptTextBytes)
            {
                // Control characters (terminal escape sequences) never reach reports.
                kept.Append(b is < 0x20 or (>= 0x7F and < 0xA0) ? '?' : (char)b);
            }
        }
    }
}
