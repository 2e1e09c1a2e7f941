using System.Buffers.Binary;
using System.Formats.Tar;
using System.IO.Compression;
using System.Text;
using Rampart.TestKit.Fixtures;

namespace Rampart.TestKit.Fuzz;

/// <summary>One valid (or deliberately extreme) input that mutations start from.</summary>
public sealed record FuzzSeed(string Name, string FileName, byte[] Bytes)
{
    private StructureMap? _map;

    /// <summary>Record boundaries and length fields, found once per seed.</summary>
    public StructureMap Map => _map ??= StructureMap.Of(Bytes);
}

/// <summary>
/// The seed corpus: one or more valid inputs of every format Rampart reads, built in code (pickles of every protocol,
/// PyTorch zip checkpoints, npy/npz, joblib-style compressed pickles, tar, nested and duplicated archives), every
/// test-kit fixture the analyzer helpers add, and extreme inputs (thousands of MARKs, long memo chains, zip in zip).
/// </summary>
public static class FuzzSeedCorpus
{
    /// <summary>Fixtures larger than this are scanned once unmutated but not used as mutation seeds.</summary>
    public const int MaxSeedBytes = 256 * 1024;

    /// <summary>Committed vectors larger than this are left out of the corpus.</summary>
    public const int MaxVectorBytes = 64 * 1024;

    public static IReadOnlyList<FuzzSeed> Build()
    {
        var seeds = new List<FuzzSeed>();
        seeds.AddRange(Pickles());
        seeds.AddRange(Containers(seeds.Where(s => s.FileName.EndsWith(".pkl", StringComparison.Ordinal)).ToList()));
        seeds.AddRange(Extremes());
        seeds.AddRange(FromFixtures());
        seeds.AddRange(FromCommittedVectors(RepositoryPaths.Root));
        return seeds;
    }

    /// <summary>
    /// Small binary test vectors other helpers committed (made by real tools: bzip2, xz, lzma streams) under any
    /// tests/**/Vectors folder; scripts and JSON manifests are left out.
    /// </summary>
    public static IEnumerable<FuzzSeed> FromCommittedVectors(string repositoryRoot)
    {
        var tests = Path.Combine(repositoryRoot, "tests");
        if (!Directory.Exists(tests))
        {
            yield break;
        }

        var folders = Directory.EnumerateDirectories(tests, "*", SearchOption.AllDirectories)
            .Where(d => string.Equals(Path.GetFileName(d), "Vectors", StringComparison.OrdinalIgnoreCase)
                && !d.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !d.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal);
        foreach (var folder in folders)
        {
            foreach (var file in Directory.EnumerateFiles(folder).Order(StringComparer.Ordinal))
            {
                var extension = Path.GetExtension(file);
                if (extension is ".py" or ".json" or ".md" or ".txt" || new FileInfo(file).Length is 0 or > MaxVectorBytes)
                {
                    continue;
                }

                yield return new FuzzSeed("vector:" + Path.GetRelativePath(repositoryRoot, file).Replace('\\', '/'), Path.GetFileName(file), File.ReadAllBytes(file));
            }
        }
    }

    /// <summary>Test-kit fixtures (from every area) that materialise as ordinary bytes.</summary>
    public static IEnumerable<FuzzSeed> FromFixtures()
    {
        foreach (var fixture in FixtureCatalog.Fixtures.Values.OrderBy(f => f.Id, StringComparer.Ordinal))
        {
            if (fixture.Custom is not null)
            {
                continue;
            }

            var bytes = fixture.Build();
            if (bytes.Length is > 0 and <= MaxSeedBytes)
            {
                yield return new FuzzSeed("fixture:" + fixture.Id, fixture.FileName, bytes);
            }
        }
    }

    public static IEnumerable<FuzzSeed> Pickles()
    {
        foreach (var protocol in new[] { 2, 3, 4, 5 })
        {
            yield return new FuzzSeed($"pickle/state-dict-p{protocol}", "state.pkl", StateDict(protocol));
        }

        yield return new FuzzSeed("pickle/text-p0", "text.pkl", new FuzzPickleWriter()
            .Op('(').Op('d').Text('p', "0").Text('V', "name").Text('p', "1").Text('S', "'weights'").Text('p', "2").Op('s')
            .Text('V', "sizes").Op('(').Op('l').Text('I', "1").Op('a').Text('L', "12345678901234567890L").Op('a').Text('F', "2.5").Op('a').Op('s')
            .Text('g', "1").Text('I', "01").Op('s').Stop().ToArray());

        yield return new FuzzSeed("pickle/reduce-system", "evil.pkl", new FuzzPickleWriter().Proto(2)
            .Global("posix", "system").Op('(').Unicode("touch /tmp/rampart-fuzz-marker").Op('t').Op('R').Stop().ToArray());

        yield return new FuzzSeed("pickle/stack-global-eval", "evil4.pkl", new FuzzPickleWriter().Proto(4).Frame(40)
            .StackGlobal("builtins", "eval").Unicode("1+1").Op(0x85).Op('R').Stop().ToArray());

        yield return new FuzzSeed("pickle/inst-obj", "inst.pkl", new FuzzPickleWriter().Proto(1)
            .Op('(').Unicode("x").Op('i').Ascii("collections\nOrderedDict\n").Op('(').Global("builtins", "getattr").Op('o')
            .Op(0x81).Op('N').Op('b').Stop().ToArray());

        yield return new FuzzSeed("pickle/newobj-ex-build", "obj.pkl", new FuzzPickleWriter().Proto(4)
            .StackGlobal("sklearn.linear_model._base", "LinearRegression").Op(')').Op('}').Op(0x92).Memoize()
            .Op('}').Unicode("coef_").BinFloat(1.5).Unicode("n_features_in_").BinInt(3).Op('(').Op('u').Op('b').Stop().ToArray());

        yield return new FuzzSeed("pickle/numpy-reconstruct", "array.pkl", new FuzzPickleWriter().Proto(2)
            .Global("numpy.core.multiarray", "_reconstruct").Global("numpy", "ndarray").BinInt(0).Op(0x85).Bytes("b"u8).Op(0x87).Op('R')
            .Op('(').BinInt(1).BinInt(4).Op(0x85).Global("numpy", "dtype").Unicode("f4").Op(0x89).Op(0x88).Op(0x87).Op('R')
            .Op('(').BinInt(3).Unicode("<").Op('N').Op('N').Op('N').BinInt(-1).BinInt(-1).BinInt(0).Op('t').Op('b').Op(0x89)
            .Bytes(new byte[16]).Op('t').Op('b').Stop().ToArray());

        yield return new FuzzSeed("pickle/protocol5-buffers", "buffers.pkl", new FuzzPickleWriter().Proto(5)
            .Op(']').Memoize().Op('(').ByteArray8("abc"u8).Op(0x97).Op(0x98).Bytes8("xyz"u8).Unicode8("long-form").Op(0x8f)
            .Op('(').BinInt(1).BinInt(2).Op(0x90).Op(0x91).Op('e').Stop().ToArray());

        yield return new FuzzSeed("pickle/persistent-ids", "persid.pkl", new FuzzPickleWriter().Proto(0)
            .Text('P', "storage-0").Op('0').Op('(').Unicode("storage").BinInt(0).Op('t').Op('Q').Op('2').Op('1').Op('N').Stop().ToArray());

        yield return new FuzzSeed("pickle/ext-and-longs", "ext.pkl", new FuzzPickleWriter().Proto(2)
            .Op(0x82).Byte(1).Op(0x83).Le16(513).Op(0x84).Le32(70000).Long1(long.MinValue).Op(0x8b).Le32(3).Raw([1, 2, 3])
            .Op('l').Stop().ToArray());

        var concatenated = new List<byte>();
        concatenated.AddRange(StateDict(2));
        concatenated.AddRange(new FuzzPickleWriter().Proto(4).Global("os", "system").Unicode("true").Op(0x85).Op('R').Stop().ToArray());
        concatenated.AddRange(StateDict(5));
        yield return new FuzzSeed("pickle/three-streams", "multi.pkl", [.. concatenated]);
    }

    public static IEnumerable<FuzzSeed> Containers(IReadOnlyList<FuzzSeed> pickles)
    {
        var stateDict = StateDict(2);
        var evil = pickles.First(p => p.Name == "pickle/reduce-system").Bytes;

        yield return new FuzzSeed("zip/torch-stored", "model.pt", TorchZip(stateDict, CompressionLevel.NoCompression, 64));
        yield return new FuzzSeed("zip/torch-deflated", "model.pth", TorchZip(stateDict, CompressionLevel.Optimal, 64));
        yield return new FuzzSeed("zip/torch-evil", "model.pt", TorchZip(evil, CompressionLevel.NoCompression, 16));
        yield return new FuzzSeed("zip/duplicate-members", "dup.pt", Zip(CompressionLevel.NoCompression,
            ("archive/data.pkl", stateDict), ("archive/data.pkl", evil), ("archive/version", "3\n"u8.ToArray())));
        yield return new FuzzSeed("zip/npz", "arrays.npz", Zip(CompressionLevel.Optimal,
            ("a.npy", Npy("<f4", new byte[32], 1)), ("b.npy", Npy("|O", evil, 2))));
        yield return new FuzzSeed("zip/zip-in-zip", "nested.zip", NestedZip(stateDict, 3));
        yield return new FuzzSeed("zip/zip-in-zip-deep", "deep.zip", NestedZip(evil, 12));
        yield return new FuzzSeed("zip/empty", "empty.zip", Zip(CompressionLevel.NoCompression));

        yield return new FuzzSeed("npy/float", "w.npy", Npy("<f4", new byte[64], 1));
        yield return new FuzzSeed("npy/object", "obj.npy", Npy("|O", evil, 1));
        yield return new FuzzSeed("npy/v2-object", "obj2.npy", Npy("|O", stateDict, 2));
        yield return new FuzzSeed("npy/v3-structured", "s.npy", Npy("[('a', '<i4'), ('b', '|O')]", evil, 3));

        yield return new FuzzSeed("gzip/pickle", "model.pkl.gz", Compress(evil, s => new GZipStream(s, CompressionLevel.Optimal)));
        yield return new FuzzSeed("zlib/pickle", "model.joblib", Compress(stateDict, s => new ZLibStream(s, CompressionLevel.Optimal)));
        yield return new FuzzSeed("gzip/gzip-in-gzip", "double.gz",
            Compress(Compress(evil, s => new GZipStream(s, CompressionLevel.Fastest)), s => new GZipStream(s, CompressionLevel.Fastest)));
        yield return new FuzzSeed("gzip/zip-in-gzip", "model.pt.gz",
            Compress(TorchZip(evil, CompressionLevel.NoCompression, 8), s => new GZipStream(s, CompressionLevel.Optimal)));

        yield return new FuzzSeed("tar/pickles", "models.tar", Tar(TarEntryFormat.Ustar, ("a/model.pkl", evil), ("a/weights.npy", Npy("<f8", new byte[16], 1))));
        yield return new FuzzSeed("tar/pax-zip", "bundle.tar", Tar(TarEntryFormat.Pax, ("checkpoint/model.pt", TorchZip(stateDict, CompressionLevel.NoCompression, 8))));
        yield return new FuzzSeed("tar/gzip", "bundle.tgz",
            Compress(Tar(TarEntryFormat.Gnu, ("model.pkl", evil)), s => new GZipStream(s, CompressionLevel.Optimal)));

        var joblib = new List<byte>(new FuzzPickleWriter().Proto(4)
            .StackGlobal("joblib.numpy_pickle", "NumpyArrayWrapper").Op(')').Op(0x81).Op('}').Unicode("subclass").Unicode("numpy.ndarray").Op('s').Op('b')
            .Stop().ToArray());
        joblib.AddRange(new byte[8]);
        joblib.AddRange(evil);
        yield return new FuzzSeed("joblib/array-wrapper", "model.joblib", [.. joblib]);

        var appended = new List<byte>(stateDict);
        appended.AddRange(TorchZip(evil, CompressionLevel.NoCompression, 8));
        yield return new FuzzSeed("polyglot/pickle-then-zip", "model.pkl", [.. appended]);

        // The Streamlit config analyzer judges a file by its place (.streamlit/config.toml), so the seed carries that path.
        yield return new FuzzSeed("toml/streamlit-config", ".streamlit/config.toml",
            Encoding.UTF8.GetBytes("[server]\naddress = \"0.0.0.0\"\nport = 8501\nheadless = true\n\n[browser]\ngatherUsageStats = false\n"));
    }

    public static IEnumerable<FuzzSeed> Extremes()
    {
        yield return new FuzzSeed("extreme/marks", "marks.pkl", new FuzzPickleWriter().Proto(2).Repeat('(', 5000).Op('N').Repeat('t', 5000).Stop().ToArray());
        yield return new FuzzSeed("extreme/lists", "lists.pkl", new FuzzPickleWriter().Proto(2).Repeat(']', 5000).Repeat('a', 4999).Stop().ToArray());
        yield return new FuzzSeed("extreme/dicts", "dicts.pkl", new FuzzPickleWriter().Proto(4).Repeat('}', 3000).Repeat('(', 3000).Stop().ToArray());
        yield return new FuzzSeed("extreme/unbalanced-marks", "marks2.pkl", new FuzzPickleWriter().Proto(2).Repeat('(', 20000).Stop().ToArray());

        var memo = new FuzzPickleWriter().Proto(4).Op(']').Memoize();
        for (var i = 0; i < 20000; i++)
        {
            memo.Get(0);
        }

        yield return new FuzzSeed("extreme/memo-gets", "memo.pkl", memo.Op('(').Op('e').Stop().ToArray());

        var memoGrow = new FuzzPickleWriter().Proto(2).Op(']');
        for (var i = 0; i < 3000; i++)
        {
            memoGrow.Put(i).Get(i).Op('a');
        }

        yield return new FuzzSeed("extreme/memo-puts", "memo2.pkl", memoGrow.Stop().ToArray());

        var selfRef = new FuzzPickleWriter().Proto(2).Op(']').Put(0);
        for (var i = 0; i < 2000; i++)
        {
            selfRef.Get(0).Op('a');
        }

        yield return new FuzzSeed("extreme/self-reference", "cycle.pkl", selfRef.Stop().ToArray());

        yield return new FuzzSeed("extreme/huge-string-length", "big.pkl", new FuzzPickleWriter().Proto(2).Op('X').Le32(-1).Ascii("abc").Stop().ToArray());
        yield return new FuzzSeed("extreme/huge-bytes8-length", "big8.pkl", new FuzzPickleWriter().Proto(4).Op(0x8e).Le64(long.MaxValue).Ascii("abc").Stop().ToArray());
        yield return new FuzzSeed("extreme/huge-frame", "frame.pkl", new FuzzPickleWriter().Proto(4).Frame(long.MaxValue).Op('N').Stop().ToArray());
        yield return new FuzzSeed("extreme/huge-memo-index", "memo3.pkl", new FuzzPickleWriter().Proto(2).Op('N').Op('r').Le32(int.MaxValue).Op('j').Le32(-1).Stop().ToArray());
        yield return new FuzzSeed("extreme/many-pickles", "many.pkl", [.. Enumerable.Repeat(new FuzzPickleWriter().Proto(2).Op('N').Stop().ToArray(), 500).SelectMany(b => b)]);

        var members = Enumerable.Range(0, 400).Select(i => ($"archive/data/{i}", new byte[] { (byte)i })).Prepend(("archive/data.pkl", StateDict(2))).ToArray();
        yield return new FuzzSeed("extreme/many-members", "many.pt", Zip(CompressionLevel.NoCompression, members));
        yield return new FuzzSeed("extreme/same-name-members", "same.zip", Zip(CompressionLevel.NoCompression,
            [.. Enumerable.Range(0, 200).Select(i => ("data.pkl", new FuzzPickleWriter().Proto(2).BinInt(i).Stop().ToArray()))]));
        yield return new FuzzSeed("extreme/zip-bomb-ish", "bomb.zip", Zip(CompressionLevel.SmallestSize, ("data.pkl", Bomb())));
    }

    /// <summary>A protocol-n pickle shaped like a small PyTorch state dict.</summary>
    public static byte[] StateDict(int protocol)
    {
        var w = new FuzzPickleWriter().Proto(protocol);
        if (protocol >= 4)
        {
            w.Frame(0);
        }

        w.Global("collections", "OrderedDict").Op(')').Op('R').Put(0).Op('(');
        for (var i = 0; i < 3; i++)
        {
            w.Unicode($"layer{i}.weight").Global("torch._utils", "_rebuild_tensor_v2").Op('(')
                .Op('(').Unicode("storage").Global("torch", "FloatStorage").Unicode(i.ToString(System.Globalization.CultureInfo.InvariantCulture)).Unicode("cpu").BinInt(16).Op('t').Op('Q')
                .BinInt(0).BinInt(4).BinInt(4).Op(0x86).BinInt(4).BinInt(1).Op(0x86).Op(0x89).Global("collections", "OrderedDict").Op(')').Op('R')
                .Op('t').Op('R').Put(i + 1);
        }

        w.Unicode("step").Long1(123456789).Unicode("lr").BinFloat(0.001).Unicode("name").Unicode4("resnet").Unicode("raw").Bytes([1, 2, 3]);
        return w.Op('u').Stop().ToArray();
    }

    public static byte[] TorchZip(byte[] pickle, CompressionLevel level, int storageBytes) =>
        Zip(level,
            ("archive/data.pkl", pickle),
            ("archive/byteorder", "little"u8.ToArray()),
            ("archive/data/0", new byte[storageBytes]),
            ("archive/data/1", Enumerable.Range(0, storageBytes).Select(i => (byte)i).ToArray()),
            ("archive/version", "3\n"u8.ToArray()),
            ("archive/.data/serialization_id", "1234567890"u8.ToArray()));

    public static byte[] Zip(CompressionLevel level, params (string Name, byte[] Data)[] members)
    {
        using var output = new MemoryStream();
        using (var zip = new ZipArchive(output, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var (name, data) in members)
            {
                var entry = zip.CreateEntry(name, level);
                entry.LastWriteTime = new DateTimeOffset(2024, 1, 1, 0, 0, 0, TimeSpan.Zero);
                using var stream = entry.Open();
                stream.Write(data);
            }
        }

        return output.ToArray();
    }

    public static byte[] NestedZip(byte[] innermost, int levels)
    {
        var data = innermost;
        var name = "data.pkl";
        for (var i = 0; i < levels; i++)
        {
            data = Zip(CompressionLevel.NoCompression, (name, data));
            name = $"level{i}.zip";
        }

        return data;
    }

    /// <summary>An .npy file (format version 1, 2 or 3) with the given dtype descriptor.</summary>
    public static byte[] Npy(string descr, byte[] payload, int version)
    {
        var dict = $"{{'descr': '{descr.Replace("'", "\\'", StringComparison.Ordinal)}', 'fortran_order': False, 'shape': (2,), }}";
        if (descr.StartsWith('['))
        {
            dict = $"{{'descr': {descr}, 'fortran_order': False, 'shape': (1,), }}";
        }

        var prefix = version == 1 ? 10 : 12;
        var total = (prefix + dict.Length + 1 + 63) / 64 * 64;
        var header = dict.PadRight(total - prefix - 1) + "\n";
        var output = new List<byte> { 0x93 };
        output.AddRange("NUMPY"u8.ToArray());
        output.Add((byte)version);
        output.Add(0);
        var length = new byte[version == 1 ? 2 : 4];
        if (version == 1)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(length, (ushort)header.Length);
        }
        else
        {
            BinaryPrimitives.WriteUInt32LittleEndian(length, (uint)header.Length);
        }

        output.AddRange(length);
        output.AddRange(version == 3 ? Encoding.UTF8.GetBytes(header) : Encoding.Latin1.GetBytes(header));
        output.AddRange(payload);
        return [.. output];
    }

    public static byte[] Compress(byte[] data, Func<Stream, Stream> compressor)
    {
        ArgumentNullException.ThrowIfNull(compressor);
        using var output = new MemoryStream();
        using (var stream = compressor(output))
        {
            stream.Write(data);
        }

        return output.ToArray();
    }

    public static byte[] Tar(TarEntryFormat format, params (string Name, byte[] Data)[] members)
    {
        using var output = new MemoryStream();
        using (var tar = new TarWriter(output, format, leaveOpen: true))
        {
            foreach (var (name, data) in members)
            {
                TarEntry entry = format switch
                {
                    TarEntryFormat.Ustar => new UstarTarEntry(TarEntryType.RegularFile, name),
                    TarEntryFormat.Pax => new PaxTarEntry(TarEntryType.RegularFile, name),
                    _ => new GnuTarEntry(TarEntryType.RegularFile, name),
                };
                entry.ModificationTime = new DateTimeOffset(2024, 1, 1, 0, 0, 0, TimeSpan.Zero);
                entry.DataStream = new MemoryStream(data);
                tar.WriteEntry(entry);
            }
        }

        return output.ToArray();
    }

    /// <summary>A highly compressible pickle: a BINBYTES of 4 MiB zeros (tests ratio limits without being large compressed).</summary>
    private static byte[] Bomb() => new FuzzPickleWriter().Proto(2).Bytes(new byte[4 * 1024 * 1024]).Stop().ToArray();
}
