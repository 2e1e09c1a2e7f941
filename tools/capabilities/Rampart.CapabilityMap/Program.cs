using Rampart.Scanning.Analyzers.Pickle.Capabilities;

// dotnet run --project tools/capabilities/Rampart.CapabilityMap -- [--stdlib-only] [output.json.gz]
// Reads every pyenv CPython and Debian's python3 (with the ML libraries in dist-packages unless --stdlib-only)
// found on this machine, and writes the merged map (default rules/capabilities/map.json.gz).
var stdlibOnly = args.Contains("--stdlib-only");
var rest = args.Where(a => a != "--stdlib-only").ToArray();
if (rest.Length > 1 || rest.Any(a => a.StartsWith('-')))
{
    await Console.Error.WriteLineAsync("usage: Rampart.CapabilityMap [--stdlib-only] [output.json.gz]");
    return 2;
}

var output = rest.Length > 0 ? rest[0] : Path.Combine("rules", "capabilities", "map.json.gz");
var installations = CapabilityMapGenerator.Discover();
if (stdlibOnly)
{
    installations = [.. installations.Select(i => i with { SitePackages = null, Packages = null, Label = i.Label.Split(" + ")[0] })];
}

if (installations.Count == 0)
{
    await Console.Error.WriteLineAsync("no Python installation found under /root/.pyenv/versions or /usr/lib/python3.*");
    return 1;
}

var map = CapabilityMapGenerator.Generate(installations, Console.Out, CancellationToken.None);
Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(output))!);
await using (var file = File.Create(output))
{
    map.Write(file);
}

Console.WriteLine($"{output}: {map.Capable.Count} capable, {map.Safe.Count} safe, from {map.Sources.Count} installations");
return 0;
