using System.Text.Json;
using Rampart.Core;
using Rampart.Scanning.Compression;
using Rampart.TestKit;

namespace Rampart.Scanning.Tests.Compression;

/// <summary>The committed vectors (made by Vectors/make_vectors.py) and a way to open the right decoder for each.</summary>
internal static class CompressionVectors
{
    public static string Directory => Path.Combine(RepositoryPaths.Root, "tests", "Rampart.Scanning.Tests", "Compression", "Vectors");

    public static IReadOnlyDictionary<string, (long Length, string Sha256)> Manifest { get; } = LoadManifest();

    public static byte[] Read(string name) => File.ReadAllBytes(Path.Combine(Directory, name));

    public static DecompressingStream Open(string kind, Stream compressed) => kind switch
    {
        "gz" => new GzipDecoderStream(compressed, ScanLimits.Default.MaxHeaderBytes),
        "zlib" => new ZlibDecoderStream(compressed),
        "bz2" => new Bzip2DecoderStream(compressed),
        "lzma" => new LzmaAloneDecoderStream(compressed, ScanLimits.Default.MaxHeaderBytes),
        "xz" => new XzDecoderStream(compressed, ScanLimits.Default.MaxHeaderBytes),
        _ => throw new ArgumentException(kind),
    };

    public static string Kind(string name) => Path.GetExtension(name) switch
    {
        ".bz2l1" => "bz2",
        var e => e.TrimStart('.'),
    };

    /// <summary>Decodes everything; returns the output and the stream (for its facts).</summary>
    public static (byte[] Output, DecompressingStream Stream) DecodeAll(string kind, byte[] compressed)
    {
        var stream = Open(kind, new MemoryStream(compressed));
        using var output = new MemoryStream();
        var buffer = new byte[7919]; // a prime, so reads end at odd places inside blocks and matches
        int n;
        while ((n = stream.Read(buffer)) > 0)
        {
            output.Write(buffer, 0, n);
        }

        return (output.ToArray(), stream);
    }

    private static Dictionary<string, (long, string)> LoadManifest()
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(Directory, "vectors.json")));
        return doc.RootElement.EnumerateObject().ToDictionary(
            p => p.Name,
            p => (p.Value.GetProperty("length").GetInt64(), p.Value.GetProperty("sha256").GetString()!),
            StringComparer.Ordinal);
    }
}
