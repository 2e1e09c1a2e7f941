using Rampart.Core.Policy;
using Rampart.Scanning.Engine;
using Rampart.TestKit;

namespace Rampart.Interop.Tests;

/// <summary>
/// A real environment: Debian's Python builds a wheel of a tiny local project, creates a virtualenv and installs the
/// wheel into it with pip (no network: --no-index, --find-links). Rampart finds nothing wrong; then one installed
/// file is changed and a .pth start-up hook is added, and Rampart reports exactly those two.
/// </summary>
public sealed class VirtualenvAuditTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(3);

    private static async Task Run(string directory, params string[] arguments)
    {
        var result = await ProcessRunner.RunAsync(PythonEnvironment.SystemPython, arguments, directory, Timeout);
        result.ExitCode.Should().Be(0, $"python3 {string.Join(' ', arguments)} failed: {result.StandardError}");
    }

    [PythonFact("venv", "pip", "setuptools", "wheel")]
    public async Task Audit_RealVirtualenv_ReportsExactlyTheTamperedFileAndThePthHook()
    {
        using var temp = new TempDirectory();
        var project = Directory.CreateDirectory(Path.Combine(temp.Path, "tinyml-src")).FullName;
        Directory.CreateDirectory(Path.Combine(project, "tinyml"));
        await File.WriteAllTextAsync(Path.Combine(project, "setup.py"), "from setuptools import setup\nsetup(name='tinyml', version='0.1.0', packages=['tinyml'])\n");
        await File.WriteAllTextAsync(Path.Combine(project, "tinyml", "__init__.py"), "from .core import scale\n");
        await File.WriteAllTextAsync(Path.Combine(project, "tinyml", "core.py"), "def scale(x, k=2):\n    return [v * k for v in x]\n");
        var wheels = Path.Combine(temp.Path, "wheels");
        await Run(temp.Path, "-m", "pip", "wheel", "--no-index", "--no-deps", "--no-build-isolation", "-w", wheels, project);
        var venv = Path.Combine(temp.Path, "venv");
        await Run(temp.Path, "-m", "venv", "--without-pip", venv);
        await Run(temp.Path, "-m", "pip", "--python", Path.Combine(venv, "bin", "python"), "install", "--no-index", "--find-links", wheels, "--no-deps", "tinyml");
        var site = Directory.GetDirectories(Path.Combine(venv, "lib"), "python3*").Single();
        site = Path.Combine(site, "site-packages");
        File.Exists(Path.Combine(site, "tinyml", "core.py")).Should().BeTrue();

        var policy = ScanPolicy.Default with { Advisories = AdvisoryMode.Off };
        var before = await Scanner.CreateDefault().ScanAsync([venv], policy);
        before.Findings.Should().BeEmpty("a fresh install matches its RECORD");

        await File.AppendAllTextAsync(Path.Combine(site, "tinyml", "core.py"), "import os  # injected\n");
        await File.WriteAllTextAsync(Path.Combine(site, "zz-telemetry.pth"), "import os; os.environ.setdefault('X', '1')\n");
        var after = await Scanner.CreateDefault().ScanAsync([venv], policy);
        after.Findings.Select(f => $"{f.RuleId} {f.Property("name")}").Order(StringComparer.Ordinal)
            .Should().Equal("RAMP-DEP-003 tinyml/core.py", "RAMP-DEP-006 zz-telemetry.pth");
    }
}
