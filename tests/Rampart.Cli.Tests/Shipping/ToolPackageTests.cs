using System.IO.Compression;
using Rampart.Scanning;
using Rampart.TestKit;

namespace Rampart.Cli.Tests.Shipping;

/// <summary>`dotnet pack` makes a dotnet tool package that installs into a tool path and runs.</summary>
public sealed class ToolPackageTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Pack_InstallIntoTempToolPath_RunsVersionRulesAndAScan()
    {
        var packages = _dir.File("nupkg");
        // --no-build: the CLI was built with these tests, in the same configuration.
        var (packCode, packOutput) = await ShippedRampart.RunAsync("dotnet", ["pack", ShippedRampart.CliProject, "-c", ShippedRampart.Configuration, "--no-build", "-o", packages]);
        packCode.Should().Be(0, packOutput);
        var package = Directory.GetFiles(packages, "rampart.*.nupkg").Should().ContainSingle().Subject;
        using (var zip = ZipFile.OpenRead(package))
        {
            var names = zip.Entries.Select(e => e.FullName).ToList();
            names.Should().Contain(n => n.EndsWith("/DotnetToolSettings.xml", StringComparison.Ordinal));
            names.Should().Contain(n => n.EndsWith("/docs/rules/RAMP-PKL-001.md", StringComparison.Ordinal), "the rule pages ship with the tool");
        }

        var tools = _dir.File("tools");
        var (installCode, installOutput) = await ShippedRampart.RunAsync("dotnet", ["tool", "install", "--tool-path", tools, "rampart", "--add-source", packages, "--version", RampartTool.Info.Version]);
        installCode.Should().Be(0, installOutput);

        var rampart = Path.Combine(tools, "rampart");
        var (code, output) = await ShippedRampart.RunAsync(rampart, ["--version"]);
        code.Should().Be(0, output);
        output.Trim().Should().Be(RampartTool.Info.Version);

        (code, output) = await ShippedRampart.RunAsync(rampart, ["rules", "show", "RAMP-PKL-001"]);
        code.Should().Be(0, output);
        output.Should().StartWith("# RAMP-PKL-001");

        await File.WriteAllBytesAsync(_dir.File("evil.pkl"), PickleBuilder.CallPickle("os", "system", "touch /tmp/rampart-marker"));
        (code, output) = await ShippedRampart.RunAsync(rampart, ["scan", "evil.pkl", "-f", "json"], _dir.Path);
        code.Should().Be(1, output);
        output.Should().Contain("\"helpUri\": \"file://").And.Contain("/docs/rules/", "links point at the pages installed with the tool");
    }
}
