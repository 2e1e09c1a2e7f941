using System.Text.RegularExpressions;

namespace Rampart.Scanning.Analyzers.Pickle.Capabilities;

/// <summary>One Python installation to read: a standard library, and optionally site packages on top of it.</summary>
/// <param name="Label">How the map names it ("cpython 3.12.1").</param>
/// <param name="StandardLibrary">The lib/pythonX.Y folder.</param>
/// <param name="SitePackages">A site-packages folder whose <paramref name="Packages"/> are read too, or null.</param>
/// <param name="Packages">The top-level packages of <paramref name="SitePackages"/> to read.</param>
internal sealed record PythonInstallation(string Label, string StandardLibrary, string? SitePackages = null, IReadOnlyCollection<string>? Packages = null);

/// <summary>Builds the capability map (see tools/capabilities/README.md for the command).</summary>
internal static partial class CapabilityMapGenerator
{
    /// <summary>The ML libraries read from Debian's dist-packages.</summary>
    public static readonly IReadOnlyList<string> MlPackages = ["torch", "sklearn", "pandas", "numpy", "scipy", "joblib", "pytz"];

    /// <summary>Every pyenv CPython 3 and Debian's python3.11 with the ML libraries, where present.</summary>
    public static IReadOnlyList<PythonInstallation> Discover(string pyenvVersions = "/root/.pyenv/versions", string debianLib = "/usr/lib")
    {
        var found = new List<PythonInstallation>();
        if (Directory.Exists(pyenvVersions))
        {
            foreach (var version in Directory.GetDirectories(pyenvVersions).Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal))
            {
                if (VersionPattern().Match(version) is not { Success: true } match)
                {
                    continue;
                }

                var lib = Path.Combine(pyenvVersions, version, "lib", $"python{match.Groups[1].Value}.{match.Groups[2].Value}");
                if (Directory.Exists(lib))
                {
                    found.Add(new PythonInstallation("cpython " + version, lib));
                }
            }
        }

        var debian = Directory.Exists(debianLib) ? Directory.GetDirectories(debianLib, "python3.*") : [];
        foreach (var lib in debian.Order(StringComparer.Ordinal))
        {
            if (File.Exists(Path.Combine(lib, "os.py")))
            {
                var site = Path.Combine(debianLib, "python3", "dist-packages");
                found.Add(new PythonInstallation("debian " + Path.GetFileName(lib) + " + dist-packages (" + string.Join(", ", MlPackages) + ")", lib,
                    Directory.Exists(site) ? site : null, MlPackages));
            }
        }

        return found;
    }

    /// <summary>Reads each installation, solves its graph and merges the results; progress lines go to <paramref name="log"/>.</summary>
    public static CapabilityMap Generate(IEnumerable<PythonInstallation> installations, TextWriter log, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(installations);
        ArgumentNullException.ThrowIfNull(log);
        var solved = new List<(string, IReadOnlyDictionary<string, CallableReach>)>();
        foreach (var installation in installations)
        {
            var graph = new CapabilityGraph();
            graph.AddTree(installation.StandardLibrary, null, cancellationToken);
            if (installation.SitePackages is { } site)
            {
                graph.AddTree(site, installation.Packages, cancellationToken);
            }

            var reach = graph.Solve(cancellationToken);
            log.WriteLine($"{installation.Label}: {graph.Files} files ({graph.FilesWithErrors} with parse errors), {reach.Count} callables, "
                + $"{reach.Values.Count(r => r.Chains.Count > 0)} capable, {reach.Values.Count(r => r.IsSafe)} safe");
            solved.Add((installation.Label, reach));
        }

        return CapabilityMap.Merge(solved);
    }

    [GeneratedRegex(@"^(\d+)\.(\d+)\.\d+$")]
    private static partial Regex VersionPattern();
}
