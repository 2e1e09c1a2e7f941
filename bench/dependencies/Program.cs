using System.Diagnostics;
using System.Globalization;
using System.Text;
using Rampart.Dependencies.Manifests;
using Rampart.Dependencies.Osv;

// Audits a 500-package poetry.lock against the imported advisory database (warm: opened once, cache filled by a
// first audit) and, in the same run, against the brute-force reference: read and parse every advisory file, then
// match every package against every advisory (the same matching code, without the database and its index).
// Usage: dotnet run -c Release --project bench/dependencies -- ../shared/testdata/osv-pypi/vulns [runs]
var source = args.Length > 0 ? args[0] : Path.Combine("..", "shared", "testdata", "osv-pypi", "vulns");
var runs = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 5;
var work = Directory.CreateTempSubdirectory("rampart-bench-deps-").FullName;
try
{
    var dbPath = Path.Combine(work, "osv.db");
    var import = Stopwatch.StartNew();
    var summary = OsvDatabase.Import(source, dbPath, TimeProvider.System, CancellationToken.None);
    import.Stop();

    // 500 packages: for advisories in id order, alternately a listed (vulnerable) version and a fixed version.
    var files = Directory.EnumerateFiles(source, "*.yaml", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToList();
    var pins = new List<(string Name, string Version)>();
    var seen = new HashSet<string>(StringComparer.Ordinal);
    foreach (var file in files)
    {
        var advisory = OsvParser.ParseYaml(File.ReadAllText(file));
        foreach (var affected in advisory.Affected)
        {
            var version = pins.Count % 2 == 0 && affected.Versions.Length > 0
                ? affected.Versions[affected.Versions.Length / 2]
                : affected.Ranges.SelectMany(r => r).FirstOrDefault(e => e.Kind == "fixed")?.Version ?? affected.Versions.FirstOrDefault();
            if (version is not null && pins.Count < 500 && seen.Add(affected.Package + "@" + version))
            {
                pins.Add((affected.Package, version));
            }
        }
    }

    var lock500 = new StringBuilder();
    foreach (var (name, version) in pins)
    {
        lock500.Append(CultureInfo.InvariantCulture, $"[[package]]\nname = \"{name}\"\nversion = \"{version}\"\noptional = false\n\n");
    }

    var lockBytes = Encoding.UTF8.GetBytes(lock500.ToString());

    using var db = OsvDatabase.Open(dbPath);
    int Rampart()
    {
        var manifest = ManifestReader.Read(ManifestFormat.PoetryLock, lockBytes, "poetry.lock");
        return manifest.Dependencies.Sum(d => db.Query(d.Name, d.Version!).Length);
    }

    int BruteForce()
    {
        var manifest = ManifestReader.Read(ManifestFormat.PoetryLock, lockBytes, "poetry.lock");
        var advisories = files.Select(f => OsvParser.ParseYaml(File.ReadAllText(f))).Where(a => a.Withdrawn is null).ToList();
        return manifest.Dependencies.Sum(d => advisories.Count(a => OsvMatcher.Match(a, d.Name, d.Version!) is not null));
    }

    // Warm-up: fills the database cache and the page cache for both.
    var expected = Rampart();
    var reference = BruteForce();
    if (expected != reference)
    {
        Console.Error.WriteLine($"mismatch: Rampart found {expected} advisory matches, the brute force {reference}");
        return 1;
    }

    var rampartTimes = new List<double>();
    var bruteTimes = new List<double>();
    for (var i = 0; i < runs; i++)
    {
        var sw = Stopwatch.StartNew();
        Rampart();
        rampartTimes.Add(sw.Elapsed.TotalMilliseconds);
        sw.Restart();
        BruteForce();
        bruteTimes.Add(sw.Elapsed.TotalMilliseconds);
    }

    static double Median(List<double> xs) => xs.Order().ElementAt(xs.Count / 2);
    var r = Median(rampartTimes);
    var b = Median(bruteTimes);
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"advisories imported: {summary.Imported} ({summary.Withdrawn} withdrawn skipped), import took {import.Elapsed.TotalSeconds:F1} s"));
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"lockfile: {pins.Count} packages, {expected} advisory matches (equal in both)"));
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"runs: {runs}; Rampart (warm database) median {r:F2} ms; brute force median {b:F1} ms"));
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"ratio brute force / Rampart: {b / r:F0}x (target >= 50x)"));
    Console.WriteLine("Rampart ms: " + string.Join(", ", rampartTimes.Select(t => t.ToString("F2", CultureInfo.InvariantCulture))));
    Console.WriteLine("brute ms:   " + string.Join(", ", bruteTimes.Select(t => t.ToString("F1", CultureInfo.InvariantCulture))));
    return 0;
}
finally
{
    Directory.Delete(work, recursive: true);
}
