using Rampart.Scanning.IO;

namespace Rampart.Scanning.Analyzers.Onnx;

/// <summary>
/// Decides from the first bytes whether an artifact is an ONNX ModelProto: it must start with ir_version (field 1),
/// hold only ModelProto fields with their proper wire types, and reach the graph (field 7), possibly running past
/// the head. A SavedModel (fields 1 and 2 only) never has field 7.
/// </summary>
internal static class OnnxSniffer
{
    public static bool LooksLikeModel(ReadOnlySpan<byte> head, bool complete)
    {
        if (head.Length < 4 || head[0] != 0x08)
        {
            return false;
        }

        var field = 0;
        try
        {
            var r = new ProtobufReader(head);
            var first = true;
            while (r.TryReadTag(out field, out var wire))
            {
                var expected = field switch
                {
                    1 or 5 => WireType.Varint,
                    2 or 3 or 4 or 6 or 7 or 8 or 14 or 20 or 25 => WireType.LengthDelimited,
                    _ => (WireType?)null,
                };
                if (expected != wire || (first && field != 1))
                {
                    return false;
                }

                if (first && r.ReadVarint() is 0 or > 100)
                {
                    return false;
                }

                if (!first)
                {
                    r.Skip(wire);
                }

                if (field == 7)
                {
                    return true;
                }

                first = false;
            }

            return false;
        }
        catch (MalformedContentException)
        {
            // A field that runs past a truncated head: the graph (or something after it) is too big to sniff whole.
            return !complete && field == 7;
        }
    }
}
