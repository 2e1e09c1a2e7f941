using System.Globalization;
using System.Text;

namespace Rampart.Integrity.Signing;

/// <summary>DSSE pre-authentication encoding: what the ECDSA signature actually covers.</summary>
public static class Dsse
{
    public const string InTotoPayloadType = "application/vnd.in-toto+json";

    /// <summary>"DSSEv1 {len(type)} {type} {len(payload)} {payload}" with lengths in bytes (DSSE protocol v1).</summary>
    public static byte[] Pae(string payloadType, ReadOnlySpan<byte> payload)
    {
        ArgumentNullException.ThrowIfNull(payloadType);
        var header = Encoding.UTF8.GetBytes(string.Create(
            CultureInfo.InvariantCulture, $"DSSEv1 {Encoding.UTF8.GetByteCount(payloadType)} {payloadType} {payload.Length} "));
        var result = new byte[header.Length + payload.Length];
        header.CopyTo(result, 0);
        payload.CopyTo(result.AsSpan(header.Length));
        return result;
    }

    /// <summary>
    /// The encoding model_signing 0.2 signed by mistake, which the reference still accepts as a fallback:
    /// "DSSEV1 {len} {type} {len} {Python repr of the payload bytes}". Accepted on verification only, never written.
    /// </summary>
    public static byte[] PaeLegacy(string payloadType, ReadOnlySpan<byte> payload)
    {
        ArgumentNullException.ThrowIfNull(payloadType);
        var text = string.Create(CultureInfo.InvariantCulture,
            $"DSSEV1 {payloadType.Length} {payloadType} {payload.Length} {PythonBytesRepr(payload)}");
        return Encoding.UTF8.GetBytes(text);
    }

    /// <summary>Python's repr() of a bytes object: b'...' with \\, quote, \t \n \r and \xNN escapes.</summary>
    internal static string PythonBytesRepr(ReadOnlySpan<byte> data)
    {
        var quote = data.Contains((byte)'\'') && !data.Contains((byte)'"') ? '"' : '\'';
        var builder = new StringBuilder(data.Length + 3).Append('b').Append(quote);
        foreach (var b in data)
        {
            switch (b)
            {
                case (byte)'\\':
                    builder.Append(@"\\");
                    break;
                case (byte)'\t':
                    builder.Append(@"\t");
                    break;
                case (byte)'\n':
                    builder.Append(@"\n");
                    break;
                case (byte)'\r':
                    builder.Append(@"\r");
                    break;
                default:
                    if (b == quote)
                    {
                        builder.Append('\\').Append(quote);
                    }
                    else if (b < 0x20 || b >= 0x7f)
                    {
                        builder.Append(CultureInfo.InvariantCulture, $"\\x{b:x2}");
                    }
                    else
                    {
                        builder.Append((char)b);
                    }

                    break;
            }
        }

        return builder.Append(quote).ToString();
    }
}
