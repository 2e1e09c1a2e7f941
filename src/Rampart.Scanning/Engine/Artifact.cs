namespace Rampart.Scanning.Engine;

/// <summary>
/// Something that may be loaded by an ML framework: a file on disk, an archive member, a decompressed stream, a
/// pickle embedded in another format. Analyzers decide what it is from <see cref="Head"/> and <see cref="Tail"/>
/// (content, never the extension); <see cref="Name"/> is only a hint for messages and for "this should have been
/// a model file" judgements.
/// </summary>
public sealed class Artifact
{
    /// <summary>How many bytes of the beginning are read up front for sniffing.</summary>
    public const int HeadSize = 64 * 1024;

    /// <summary>How many bytes of the end are read up front (zip end records, appended archives).</summary>
    public const int TailSize = 66 * 1024;

    private readonly Func<CancellationToken, ValueTask<Stream>> _open;

    public Artifact(string path, string? parent, int depth, long? length, ReadOnlyMemory<byte> head, ReadOnlyMemory<byte> tail,
        Func<CancellationToken, ValueTask<Stream>> open, string? name = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(open);
        Path = path;
        Parent = parent;
        Depth = depth;
        Length = length;
        Head = head;
        Tail = tail;
        _open = open;
        Name = name ?? System.IO.Path.GetFileName(path.Split("!/")[^1].Split('#')[0]);
    }

    /// <summary>Logical path: "dir/model.pt", "dir/model.pt!/archive/data.pkl", "x.pkl#pickle[2]".</summary>
    public string Path { get; }

    /// <summary>The logical path of the containing artifact, or null for a file given on the command line.</summary>
    public string? Parent { get; }

    /// <summary>0 for a file on disk, +1 for each container level.</summary>
    public int Depth { get; }

    /// <summary>Size in bytes, or null when unknown without reading everything (a decompressed stream).</summary>
    public long? Length { get; }

    /// <summary>The first up to <see cref="HeadSize"/> bytes (all of them for a small artifact).</summary>
    public ReadOnlyMemory<byte> Head { get; }

    /// <summary>The last up to <see cref="TailSize"/> bytes; empty where the artifact cannot be read from the end.</summary>
    public ReadOnlyMemory<byte> Tail { get; }

    /// <summary>The file or member name (last path segment), a hint only.</summary>
    public string Name { get; }

    /// <summary>True when <see cref="Head"/> holds the whole artifact.</summary>
    public bool HeadIsComplete => Length is { } l && l <= Head.Length;

    /// <summary>Opens a fresh stream positioned at the start. Seekable when the underlying source is.</summary>
    public ValueTask<Stream> OpenAsync(CancellationToken cancellationToken) => _open(cancellationToken);

    public override string ToString() => Path;
}
