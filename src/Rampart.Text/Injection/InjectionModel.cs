using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Rampart.Text.Injection;

/// <summary>
/// A logistic-regression model over <see cref="InjectionFeatures"/>: weights quantised to signed bytes with one scale,
/// a bias, and the score at which the shipped configuration blocks (chosen on a validation split for a benign
/// false-positive rate of at most 1%). File layout, little-endian: "RIC1", int32 version (1), int32 bits, float32 scale,
/// float32 bias, float32 threshold, int32 window, then 2^bits signed bytes.
/// </summary>
public sealed class InjectionModel
{
    private static readonly Lazy<InjectionModel> LazyShipped = new(LoadShipped);

    private readonly sbyte[] _weights;

    public InjectionModel(int bits, float scale, float bias, float threshold, int window, sbyte[] weights)
    {
        ArgumentNullException.ThrowIfNull(weights);
        if (bits is < 10 or > 24 || weights.Length != 1 << bits || window < 256 || !float.IsFinite(scale) || !float.IsFinite(bias) || threshold is <= 0 or >= 1)
        {
            throw new InvalidDataException("injection model: inconsistent header");
        }

        (Bits, Scale, Bias, Threshold, Window, _weights) = (bits, scale, bias, threshold, window, weights);
    }

    public int Bits { get; }

    public float Scale { get; }

    public float Bias { get; }

    /// <summary>Probability at or above which the text is an injection.</summary>
    public float Threshold { get; }

    /// <summary>Long texts are scored in windows of this many characters (half overlapping); the highest window wins.</summary>
    public int Window { get; }

    /// <summary>SHA-256 of the model file, hex: the digest printed in the model card.</summary>
    public string Sha256 { get; private init; } = "";

    /// <summary>The model shipped with Rampart (rules/models/injection-classifier.bin).</summary>
    public static InjectionModel Shipped => LazyShipped.Value;

    /// <summary>Probability that <paramref name="text"/> is a prompt injection or jailbreak.</summary>
    public double Score(ReadOnlySpan<char> text)
    {
        var features = new List<(int Bucket, float Value)>(512);
        if (text.Length <= Window)
        {
            return ScoreWindow(text, features);
        }

        double best = 0;
        var stride = Window / 2;
        for (var start = 0; start < text.Length; start += stride)
        {
            var length = Math.Min(Window, text.Length - start);
            best = Math.Max(best, ScoreWindow(text.Slice(start, length), features));
            if (start + length >= text.Length)
            {
                break;
            }
        }

        return best;
    }

    private double ScoreWindow(ReadOnlySpan<char> text, List<(int Bucket, float Value)> features)
    {
        InjectionFeatures.Extract(text, Bits, features);
        double z = Bias;
        foreach (var (bucket, value) in features)
        {
            z += _weights[bucket] * Scale * value;
        }

        return 1 / (1 + Math.Exp(-z));
    }

    public byte[] ToBytes()
    {
        var bytes = new byte[28 + _weights.Length];
        "RIC1"u8.CopyTo(bytes);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(4), 1);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(8), Bits);
        BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(12), Scale);
        BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(16), Bias);
        BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(20), Threshold);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(24), Window);
        for (var i = 0; i < _weights.Length; i++)
        {
            bytes[28 + i] = unchecked((byte)_weights[i]);
        }

        return bytes;
    }

    /// <summary>Reads a model file; anything malformed is an <see cref="InvalidDataException"/>.</summary>
    public static InjectionModel FromBytes(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length < 28 || !bytes[..4].SequenceEqual("RIC1"u8) || BinaryPrimitives.ReadInt32LittleEndian(bytes[4..]) != 1)
        {
            throw new InvalidDataException("injection model: not a RIC1 version 1 file");
        }

        var bits = BinaryPrimitives.ReadInt32LittleEndian(bytes[8..]);
        if (bits is < 10 or > 24 || bytes.Length != 28 + (1 << bits))
        {
            throw new InvalidDataException("injection model: length does not match its header");
        }

        var weights = new sbyte[1 << bits];
        for (var i = 0; i < weights.Length; i++)
        {
            weights[i] = unchecked((sbyte)bytes[28 + i]);
        }

        return new InjectionModel(
            bits,
            BinaryPrimitives.ReadSingleLittleEndian(bytes[12..]),
            BinaryPrimitives.ReadSingleLittleEndian(bytes[16..]),
            BinaryPrimitives.ReadSingleLittleEndian(bytes[20..]),
            BinaryPrimitives.ReadInt32LittleEndian(bytes[24..]),
            weights)
        { Sha256 = Convert.ToHexStringLower(SHA256.HashData(bytes)) };
    }

    private static InjectionModel LoadShipped()
    {
        using var stream = typeof(InjectionModel).Assembly.GetManifestResourceStream("models/injection-classifier.bin")
            ?? throw new InvalidOperationException("the shipped injection model is not embedded");
        using var memory = new MemoryStream();
        stream.CopyTo(memory);
        return FromBytes(memory.ToArray());
    }
}
