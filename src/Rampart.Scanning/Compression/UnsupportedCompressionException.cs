using Rampart.Scanning.IO;

namespace Rampart.Scanning.Compression;

/// <summary>
/// The compressed data is well-formed as far as Rampart read it but uses a feature its decoders do not implement
/// (an xz BCJ or delta filter, an xz check type other than none/CRC32/CRC64/SHA-256). The content is unknown.
/// </summary>
internal sealed class UnsupportedCompressionException(string feature, string message, long offset) : MalformedContentException(message, offset)
{
    public string Feature { get; } = feature;

    public new long Offset { get; } = offset;
}
