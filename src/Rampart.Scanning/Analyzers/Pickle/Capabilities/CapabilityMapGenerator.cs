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
    public static readonly IReadOnlyList<string> MlPackages =
        ["torch", "functorch", "sklearn", "pandas", "numpy", "scipy", "joblib", "dill", "pytz", "dateutil", "h5py", "onnx"];

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
                var present = Directory.Exists(site) ? MlPackages.Where(p => Directory.Exists(Path.Combine(site, p))).ToList() : [];
                var versions = string.Join(", ", present.Select(p => p + " " + (InstalledVersion(site, p) ?? "(version unknown)")));
                found.Add(new PythonInstallation("debian " + Path.GetFileName(lib) + " + dist-packages (" + versions + ")", lib,
                    present.Count > 0 ? site : null, present));
            }
        }

        return found;
    }

    /// <summary>The installation with only <paramref name="packages"/> of its site packages, its label naming just those.</summary>
    public static PythonInstallation Restrict(PythonInstallation installation, IReadOnlyCollection<string> packages)
    {
        ArgumentNullException.ThrowIfNull(installation);
        ArgumentNullException.ThrowIfNull(packages);
        if (installation.SitePackages is not { } site || installation.Packages is null)
        {
            return installation;
        }

        var kept = installation.Packages.Where(packages.Contains).ToList();
        var versions = string.Join(", ", kept.Select(p => p + " " + (InstalledVersion(site, p) ?? "(version unknown)")));
        return installation with { Packages = kept, Label = installation.Label.Split(" + ")[0] + " + dist-packages (" + versions + ")" };
    }

    /// <summary>Reads each installation, solves its graph and merges the results; progress lines go to <paramref name="log"/>.</summary>
    public static CapabilityMap Generate(IEnumerable<PythonInstallation> installations, TextWriter log, CancellationToken cancellationToken, CapabilityMap? onto = null)
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

            log.WriteLine($"{installation.Label}: {graph.Files} files read, solving");
            log.Flush();
            var reach = graph.Solve(cancellationToken);
            log.WriteLine($"{installation.Label}: {graph.Files} files ({graph.FilesWithErrors} with parse errors), {reach.Count} callables, "
                + $"{reach.Values.Count(r => r.Chains.Count > 0)} capable, {reach.Values.Count(r => r.IsSafe)} safe");
            if (onto is not null)
            {
                // A map written before keeps no record of the names it could not decide, so a standard-library name
                // safe here may be unknown in a version it read: added onto it, only the site packages' own names may
                // become safe (capable ones are added whatever they are; a name unknown here still stops being safe).
                var own = installation.Packages ?? [];
                reach = reach.Where(r => !r.Value.IsSafe || own.Any(p => r.Key.StartsWith(p + ".", StringComparison.Ordinal)))
                    .ToDictionary(r => r.Key, r => r.Value, StringComparer.Ordinal);
            }

            solved.Add((installation.Label, reach));
        }

        return CapabilityMap.Merge(solved, onto);
    }

    /// <summary>
    /// The version of the distribution that installs top-level package <paramref name="package"/>, read from the name of
    /// its .dist-info or .egg-info entry (through top_level.txt where the distribution is named otherwise); never imported.
    /// </summary>
    internal static string? InstalledVersion(string site, string package)
    {
        var entries = Directory.EnumerateFileSystemEntries(site)
            .Where(e => e.EndsWith(".dist-info", StringComparison.Ordinal) || e.EndsWith(".egg-info", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .ToList();
        foreach (var entry in entries)
        {
            var name = Path.GetFileName(entry);
            var dash = name.IndexOf('-', StringComparison.Ordinal);
            if (dash < 0)
            {
                continue;
            }

            var distribution = name[..dash];
            var topLevel = Path.Combine(entry, "top_level.txt");
            var provides = File.Exists(topLevel)
                ? Rampart.Core.IO.BoundedFile.ReadLines(topLevel).Any(l => l.Trim() == package)
                : distribution.Equals(package, StringComparison.OrdinalIgnoreCase);
            if (provides)
            {
                return name[(dash + 1)..name.LastIndexOf('.')];
            }
        }

        return null;
    }

    [GeneratedRegex(@"^(\d+)\.(\d+)\.\d+$")]
    private static partial Regex VersionPattern();
}
