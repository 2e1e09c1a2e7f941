using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Rampart.Data.Crypto;

/// <summary>Encryption or decryption refused: a wrong key, a modified or truncated file, a bad header. The message says which.</summary>
public sealed class DataCryptoException(string message) : Exception(message);

/// <summary>A key-encryption key (32 bytes) and its id.</summary>
public sealed class DataKey
{
    public DataKey(byte[] key, string? id = null)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (key.Length != 32)
        {
            throw new DataCryptoException($"a data key is 32 bytes (AES-256); this one is {key.Length}");
        }

        Key = key;
        Id = id ?? DefaultId(key);
        if (Encoding.UTF8.GetByteCount(Id) is 0 or > 64)
        {
            throw new DataCryptoException("a key id is 1 to 64 bytes of UTF-8");
        }
    }

    internal byte[] Key { get; }

    public string Id { get; }

    /// <summary>"k-" and the first 16 hex digits of SHA-256("rampart-data-key-id" || key): names the key without revealing it.</summary>
    public static string DefaultId(byte[] key) => "k-" + Convert.ToHexStringLower(SHA256.HashData([.. "rampart-data-key-id"u8, .. key]))[..16];

    /// <summary>A key from text: 64 hex digits or base64 of 32 bytes (whitespace ignored).</summary>
    public static DataKey Parse(string text, string? id = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        var t = string.Concat(text.Where(c => !char.IsWhiteSpace(c)));
        if (t.Length == 64 && t.All(char.IsAsciiHexDigit))
        {
            return new DataKey(Convert.FromHexString(t), id);
        }

        try
        {
            return new DataKey(Convert.FromBase64String(t), id);
        }
        catch (FormatException)
        {
            throw new DataCryptoException("a data key must be 64 hex digits or the base64 of 32 bytes");
        }
    }

    /// <summary>A key file: 32 raw bytes, or the text forms of <see cref="Parse"/>.</summary>
    public static DataKey FromFile(string path, string? id = null)
    {
        var info = new FileInfo(path);
        if (!info.Exists)
        {
            throw new DataCryptoException($"no key file at '{path}'");
        }

        if (info.Length > 4096)
        {
            throw new DataCryptoException($"'{path}' is {info.Length} bytes: too large for a key file");
        }

        var bytes = Rampart.Core.IO.BoundedFile.ReadAllBytes(path, 4096);
        return bytes.Length == 32 ? new DataKey(bytes, id) : Parse(Encoding.UTF8.GetString(bytes), id);
    }

    public static DataKey Generate() => new(RandomNumberGenerator.GetBytes(32));

    public string ToHex() => Convert.ToHexStringLower(Key);
}

/// <summary>
/// AES-256-GCM in independently authenticated chunks (docs/formats/rampart-data-encryption.md). The header carries the
/// key id, the chunk size and the per-file data key wrapped (AES-256-GCM) under the key-encryption key; each chunk's
/// nonce and additional data carry its index and whether it is the last, and the additional data binds the header's
/// SHA-256, so reordering, dropping, truncating, appending or editing anything makes decryption fail at that chunk.
/// Memory is two chunk buffers whatever the file size.
/// </summary>
public static class DataEncryption
{
    public const int DefaultChunkSize = 1 << 20;
    public const int MinChunkSize = 1 << 12;
    public const int MaxChunkSize = 1 << 24;
    private const int TagSize = 16;
    private const int NonceSize = 12;
    private static readonly byte[] Magic = "RMPDENC1"u8.ToArray();

    public static void Encrypt(Stream input, Stream output, DataKey key, int chunkSize = DefaultChunkSize, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(key);
        if (chunkSize < MinChunkSize || chunkSize > MaxChunkSize)
        {
            throw new DataCryptoException($"the chunk size must be between {MinChunkSize} and {MaxChunkSize} bytes");
        }

        var dataKey = RandomNumberGenerator.GetBytes(32);
        try
        {
            var prefix = HeaderPrefix(key.Id, chunkSize);
            var wrapNonce = RandomNumberGenerator.GetBytes(NonceSize);
            var wrapped = new byte[32];
            var wrapTag = new byte[TagSize];
            using (var kek = new AesGcm(key.Key, TagSize))
            {
                kek.Encrypt(wrapNonce, dataKey, wrapped, wrapTag, prefix);
            }

            byte[] header = [.. prefix, .. wrapNonce, .. wrapped, .. wrapTag];
            output.Write(header);
            var headerHash = SHA256.HashData(header);
            using var aes = new AesGcm(dataKey, TagSize);
            var current = new byte[chunkSize];
            var next = new byte[chunkSize];
            var cipher = new byte[chunkSize];
            var tag = new byte[TagSize];
            var have = input.ReadAtLeast(current, chunkSize, throwOnEndOfStream: false);
            ulong index = 0;
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var nextHave = have == chunkSize ? input.ReadAtLeast(next, chunkSize, throwOnEndOfStream: false) : 0;
                var final = nextHave == 0;
                aes.Encrypt(Nonce(index, final), current.AsSpan(0, have), cipher.AsSpan(0, have), tag, Aad(headerHash, index, final));
                output.Write(cipher, 0, have);
                output.Write(tag);
                if (final)
                {
                    break;
                }

                (current, next) = (next, current);
                have = nextHave;
                index++;
            }
        }
        finally
        {
            CryptographicOperations.ZeroMemory(dataKey);
        }
    }

    /// <summary>Reads the key id a file was encrypted for, without any key.</summary>
    public static string ReadKeyId(Stream input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return ReadHeader(input).KeyId;
    }

    public static void Decrypt(Stream input, Stream output, DataKey key, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(key);
        var header = ReadHeader(input);
        if (!string.Equals(header.KeyId, key.Id, StringComparison.Ordinal))
        {
            throw new DataCryptoException($"the file was encrypted for key id '{header.KeyId}', but the key given has id '{key.Id}'");
        }

        var dataKey = new byte[32];
        try
        {
            try
            {
                using var kek = new AesGcm(key.Key, TagSize);
                kek.Decrypt(header.WrapNonce, header.Wrapped, header.WrapTag, dataKey, header.Prefix);
            }
            catch (AuthenticationTagMismatchException)
            {
                throw new DataCryptoException("the data key could not be unwrapped: wrong key (with a forged key id) or a modified header");
            }

            var headerHash = SHA256.HashData(header.Bytes);
            using var aes = new AesGcm(dataKey, TagSize);
            var record = header.ChunkSize + TagSize;
            var buffer = new byte[record + 1];
            var plain = new byte[header.ChunkSize];
            var have = 0;
            ulong index = 0;
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                have += input.ReadAtLeast(buffer.AsSpan(have), buffer.Length - have, throwOnEndOfStream: false);
                var final = have < buffer.Length;
                var length = final ? have : record;
                if (length < TagSize)
                {
                    throw new DataCryptoException($"chunk {index} is cut short ({length} bytes): the file is truncated");
                }

                var text = length - TagSize;
                try
                {
                    aes.Decrypt(Nonce(index, final), buffer.AsSpan(0, text), buffer.AsSpan(text, TagSize), plain.AsSpan(0, text), Aad(headerHash, index, final));
                }
                catch (AuthenticationTagMismatchException)
                {
                    throw new DataCryptoException(final
                        ? $"chunk {index} failed authentication: the file was truncated, extended or modified"
                        : $"chunk {index} failed authentication: the file was modified or its chunks reordered");
                }

                output.Write(plain, 0, text);
                if (final)
                {
                    return;
                }

                buffer[0] = buffer[record];
                have = 1;
                index++;
            }
        }
        finally
        {
            CryptographicOperations.ZeroMemory(dataKey);
        }
    }

    /// <summary>Decrypts into a temporary file beside <paramref name="outputPath"/> and renames it only when every chunk verified.</summary>
    public static void DecryptFile(string inputPath, string outputPath, DataKey key, CancellationToken cancellationToken = default)
    {
        var temp = outputPath + ".partial-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));
        try
        {
            using (var input = new FileStream(inputPath, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan))
            using (var output = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                Decrypt(input, output, key, cancellationToken);
            }

            File.Move(temp, outputPath, overwrite: true);
        }
        finally
        {
            File.Delete(temp);
        }
    }

    public static void EncryptFile(string inputPath, string outputPath, DataKey key, int chunkSize = DefaultChunkSize, CancellationToken cancellationToken = default)
    {
        using var input = new FileStream(inputPath, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        using var output = new FileStream(outputPath, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16);
        Encrypt(input, output, key, chunkSize, cancellationToken);
    }

    private static byte[] HeaderPrefix(string keyId, int chunkSize)
    {
        var id = Encoding.UTF8.GetBytes(keyId);
        var prefix = new byte[Magic.Length + 1 + 4 + 1 + id.Length];
        Magic.CopyTo(prefix, 0);
        prefix[8] = 1;
        BinaryPrimitives.WriteInt32BigEndian(prefix.AsSpan(9), chunkSize);
        prefix[13] = (byte)id.Length;
        id.CopyTo(prefix, 14);
        return prefix;
    }

    private sealed record Header(byte[] Bytes, byte[] Prefix, string KeyId, int ChunkSize, byte[] WrapNonce, byte[] Wrapped, byte[] WrapTag);

    private static Header ReadHeader(Stream input)
    {
        var fixedPart = new byte[14];
        if (input.ReadAtLeast(fixedPart, 14, throwOnEndOfStream: false) < 14 || !fixedPart.AsSpan(0, 8).SequenceEqual(Magic))
        {
            throw new DataCryptoException("not a Rampart encrypted file (the RMPDENC1 header is missing)");
        }

        if (fixedPart[8] != 1)
        {
            throw new DataCryptoException($"unsupported format version {fixedPart[8]} (this Rampart reads version 1)");
        }

        var chunkSize = BinaryPrimitives.ReadInt32BigEndian(fixedPart.AsSpan(9));
        if (chunkSize < MinChunkSize || chunkSize > MaxChunkSize)
        {
            throw new DataCryptoException($"the header's chunk size {chunkSize} is out of range: the header is corrupt");
        }

        var idLength = fixedPart[13];
        var rest = new byte[idLength + NonceSize + 32 + TagSize];
        if (idLength == 0 || idLength > 64 || input.ReadAtLeast(rest, rest.Length, throwOnEndOfStream: false) < rest.Length)
        {
            throw new DataCryptoException("the header is truncated or corrupt");
        }

        string keyId;
        try
        {
            keyId = new UTF8Encoding(false, true).GetString(rest, 0, idLength);
        }
        catch (DecoderFallbackException)
        {
            throw new DataCryptoException("the header's key id is not UTF-8: the header is corrupt");
        }

        byte[] bytes = [.. fixedPart, .. rest];
        var prefixLength = 14 + idLength;
        return new Header(bytes, bytes[..prefixLength], keyId, chunkSize, bytes[prefixLength..(prefixLength + NonceSize)],
            bytes[(prefixLength + NonceSize)..(prefixLength + NonceSize + 32)], bytes[(prefixLength + NonceSize + 32)..]);
    }

    private static byte[] Nonce(ulong index, bool final)
    {
        var nonce = new byte[NonceSize];
        nonce[3] = final ? (byte)1 : (byte)0;
        BinaryPrimitives.WriteUInt64BigEndian(nonce.AsSpan(4), index);
        return nonce;
    }

    private static byte[] Aad(byte[] headerHash, ulong index, bool final)
    {
        var aad = new byte[32 + 8 + 1];
        headerHash.CopyTo(aad, 0);
        BinaryPrimitives.WriteUInt64BigEndian(aad.AsSpan(32), index);
        aad[40] = final ? (byte)1 : (byte)0;
        return aad;
    }
}
