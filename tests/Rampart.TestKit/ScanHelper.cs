using Rampart.Core.Policy;
using Rampart.Core.Reporting;
using Rampart.Scanning.Engine;

namespace Rampart.TestKit;

/// <summary>Runs the default scanner on bytes or fixtures in a temporary folder.</summary>
public static class ScanHelper
{
    public static Task<ScanReport> ScanBytesAsync(byte[] bytes, string fileName = "model.bin", ScanPolicy? policy = null)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        var artifact = ArtifactFactory.FromBytes(fileName, null, 0, bytes, fileName);
        return Scanner.CreateDefault().ScanArtifactAsync(artifact, policy ?? ScanPolicy.Default);
    }

    public static async Task<ScanReport> ScanPathsAsync(IReadOnlyList<string> paths, ScanPolicy? policy = null) =>
        await Scanner.CreateDefault().ScanAsync(paths, policy ?? ScanPolicy.Default).ConfigureAwait(false);
}

/// <summary>A temporary folder deleted on dispose.</summary>
public sealed class TempDirectory : IDisposable
{
    public TempDirectory()
    {
        Path = Directory.CreateTempSubdirectory("rampart-test-").FullName;
    }

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
