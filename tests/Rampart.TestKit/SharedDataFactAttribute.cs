using Xunit;

namespace Rampart.TestKit;

/// <summary>
/// A fact over the team's conformance data in ../shared/testdata/&lt;subfolder&gt;: skipped, with the reason printed,
/// where that folder is absent (a checkout outside this workplace). Read the data with <see cref="SharedData.Path"/>.
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public sealed class SharedDataFactAttribute : FactAttribute
{
    public SharedDataFactAttribute(string subfolder)
    {
        Subfolder = subfolder;
        Skip = SharedData.SkipReason(subfolder);
    }

    public string Subfolder { get; }
}

/// <summary>A theory over ../shared/testdata/&lt;subfolder&gt;, skipped with a printed reason where it is absent.</summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public sealed class SharedDataTheoryAttribute : TheoryAttribute
{
    public SharedDataTheoryAttribute(string subfolder)
    {
        Subfolder = subfolder;
        Skip = SharedData.SkipReason(subfolder);
    }

    public string Subfolder { get; }
}

/// <summary>Paths into ../shared/testdata.</summary>
public static class SharedData
{
    /// <summary>The absolute path of ../shared/testdata/<paramref name="subfolder"/>, or null where it is absent.</summary>
    public static string? TryPath(string subfolder) =>
        RepositoryPaths.SharedTestData is { } root && System.IO.Path.Combine(root, subfolder) is var path && (Directory.Exists(path) || File.Exists(path))
            ? path
            : null;

    /// <summary>The absolute path of ../shared/testdata/<paramref name="subfolder"/>; throws where it is absent.</summary>
    public static string Path(string subfolder) =>
        TryPath(subfolder) ?? throw new InvalidOperationException(SkipReason(subfolder));

    /// <summary>Null when the data is there; otherwise why a test over it is skipped.</summary>
    public static string? SkipReason(string subfolder) =>
        TryPath(subfolder) is null
            ? $"shared conformance data ../shared/testdata/{subfolder} is absent beside the repository ({RepositoryPaths.Root}); this test needs it"
            : null;
}
