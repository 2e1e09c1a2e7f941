using Rampart.TestKit;

namespace Rampart.Integrity.Tests;

/// <summary>Paths into ../shared/testdata/oms and a writable copy helper for tampering tests.</summary>
internal static class OmsData
{
    public static string Root => SharedData.Path("oms");

    public static string P256 => Path.Combine(Root, "p256");

    public static string Upstream => Path.Combine(Root, "upstream");

    public static string Keys => Path.Combine(Upstream, "keys");

    public const string P256FilesDigest = "c58c104f7fe48952aca6546b8924a051acb0d5ef8a23cff49779b43b7317b99c";

    public const string P256Shards1000Digest = "dceac3a0f139cadb38690bc0d03fdeaa553c7e2e67ddf4f2e69d7cdd6bc45cb6";

    /// <summary>Copies a folder (the shared data is read-only) into a fresh temporary folder, files made writable.</summary>
    public static TempFolder CopyOf(string source)
    {
        var temp = new TempFolder();
        var target = Path.Combine(temp.Path, Path.GetFileName(source));
        Copy(source, target);
        temp.Model = target;
        return temp;
    }

    private static void Copy(string source, string target)
    {
        Directory.CreateDirectory(target);
        foreach (var file in Directory.GetFiles(source))
        {
            var to = Path.Combine(target, Path.GetFileName(file));
            File.Copy(file, to);
            File.SetAttributes(to, FileAttributes.Normal);
        }

        foreach (var dir in Directory.GetDirectories(source))
        {
            Copy(dir, Path.Combine(target, Path.GetFileName(dir)));
        }
    }
}

internal sealed class TempFolder : IDisposable
{
    public TempFolder()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "rampart-integrity-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
        Model = Path;
    }

    public string Path { get; }

    /// <summary>The copied model folder, when made by <see cref="OmsData.CopyOf"/>.</summary>
    public string Model { get; set; }

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
