namespace Rampart.TestKit.Fixtures;

/// <summary>
/// A named input that a detector rule's self-test refers to ("zip/name-mismatch"). Built in code, never committed
/// as a binary. <see cref="Materialize"/> writes it into a folder and returns the path to scan.
/// </summary>
public sealed record Fixture(string Id, string FileName, Func<byte[]> Build)
{
    /// <summary>Analyzers added to the default set when this fixture is scanned (e.g. one that fails on purpose).</summary>
    public IReadOnlyList<Rampart.Scanning.Engine.IArtifactAnalyzer> ExtraAnalyzers { get; init; } = [];

    /// <summary>
    /// The policy to scan this fixture with, given the folder it was materialised in (e.g. one naming an advisory
    /// database built there); null: the default policy.
    /// </summary>
    public Func<string, Rampart.Core.Policy.ScanPolicy>? Policy { get; init; }

    /// <summary>Optional custom materialisation (e.g. a special file); default writes <see cref="Build"/>'s bytes.</summary>
    public Func<string, string>? Custom { get; init; }

    public string Materialize(string directory)
    {
        ArgumentNullException.ThrowIfNull(directory);
        if (Custom is not null)
        {
            return Custom(directory);
        }

        var path = Path.Combine(directory, FileName);
        File.WriteAllBytes(path, Build());
        return path;
    }
}

/// <summary>A set of fixtures for one area (pickle, zip, ...). Implementations are discovered by reflection.</summary>
public interface IFixtureSource
{
    IEnumerable<Fixture> Fixtures { get; }
}

/// <summary>Every fixture of every <see cref="IFixtureSource"/> in this assembly, by id.</summary>
public static class FixtureCatalog
{
    private static readonly Lazy<IReadOnlyDictionary<string, Fixture>> All = new(() =>
    {
        var result = new Dictionary<string, Fixture>(StringComparer.Ordinal);
        foreach (var type in typeof(FixtureCatalog).Assembly.GetTypes().Where(t => typeof(IFixtureSource).IsAssignableFrom(t) && t is { IsAbstract: false, IsInterface: false }))
        {
            var source = (IFixtureSource)Activator.CreateInstance(type)!;
            foreach (var fixture in source.Fixtures)
            {
                if (!result.TryAdd(fixture.Id, fixture))
                {
                    throw new InvalidOperationException($"Fixture id {fixture.Id} is defined twice.");
                }
            }
        }

        return result;
    });

    public static IReadOnlyDictionary<string, Fixture> Fixtures => All.Value;

    public static Fixture Get(string id) =>
        Fixtures.TryGetValue(id, out var f) ? f : throw new KeyNotFoundException($"No test-kit fixture with id '{id}' (a rule self-test refers to it).");
}
