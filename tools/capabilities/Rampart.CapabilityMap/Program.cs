using Rampart.Scanning.Analyzers.Pickle.Capabilities;

// dotnet run --project tools/capabilities/Rampart.CapabilityMap -- [--stdlib-only | [--site-onto BASE.json.gz] [--packages A,B]] [output.json.gz]
// Reads every pyenv CPython and Debian's python3 (with the ML libraries in dist-packages unless --stdlib-only)
// found on this machine, and writes the merged map (default rules/capabilities/map.json.gz). --site-onto reads only
// the installations with site packages (Debian's python3 and its ML libraries) and adds them to a map written before
// (the standard libraries' part of BASE is kept; its plain "debian python3.x" source is replaced). --packages reads only
// those ML libraries (their versions still recorded in the source label).
var stdlibOnly = args.Contains("--stdlib-only");
var ontoAt = Array.IndexOf(args, "--site-onto");
var onto = ontoAt >= 0 && ontoAt + 1 < args.Length ? args[ontoAt + 1] : null;
var packagesAt = Array.IndexOf(args, "--packages");
var packages = packagesAt >= 0 && packagesAt + 1 < args.Length ? args[packagesAt + 1].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) : null;
var rest = args.Where((a, i) => a != "--stdlib-only" && i != ontoAt && i != ontoAt + 1 && i != packagesAt && i != packagesAt + 1).ToArray();
if (rest.Length > 1 || rest.Any(a => a.StartsWith('-')) || (ontoAt >= 0 && (onto is null || stdlibOnly)) || (packagesAt >= 0 && (packages is null || stdlibOnly)))
{
    await Console.Error.WriteLineAsync("usage: Rampart.CapabilityMap [--stdlib-only | [--site-onto BASE.json.gz] [--packages torch,sklearn,...]] [output.json.gz]");
    return 2;
}

var output = rest.Length > 0 ? rest[0] : Path.Combine("rules", "capabilities", "map.json.gz");
var installations = CapabilityMapGenerator.Discover();
if (stdlibOnly)
{
    installations = [.. installations.Select(i => i with { SitePackages = null, Packages = null, Label = i.Label.Split(" + ")[0] })];
}

if (packages is not null)
{
    // Only these of the ML libraries (a run that must fit a time budget, or a map of one library).
    var unknown = packages.Where(p => !CapabilityMapGenerator.MlPackages.Contains(p)).ToList();
    if (unknown.Count > 0)
    {
        await Console.Error.WriteLineAsync($"--packages: {string.Join(", ", unknown)} not among {string.Join(", ", CapabilityMapGenerator.MlPackages)}");
        return 2;
    }

    installations = [.. installations.Select(i => i.SitePackages is null ? i : CapabilityMapGenerator.Restrict(i, packages))];
}

CapabilityMap? baseMap = null;
if (onto is not null)
{
    installations = [.. installations.Where(i => i.SitePackages is not null)];
    await using var input = File.OpenRead(onto);
    baseMap = CapabilityMap.Read(input);
}

if (installations.Count == 0)
{
    await Console.Error.WriteLineAsync("no Python installation found under /root/.pyenv/versions or /usr/lib/python3.*");
    return 1;
}

var map = CapabilityMapGenerator.Generate(installations, Console.Out, CancellationToken.None, baseMap);
Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(output))!);
await using (var file = File.Create(output))
{
    map.Write(file);
}

Console.WriteLine($"{output}: {map.Capable.Count} capable, {map.Safe.Count} safe, from {map.Sources.Count} installations");
return 0;
