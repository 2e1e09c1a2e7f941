using Rampart.Core;
using Rampart.TestKit;
using Rampart.TestKit.Fixtures;

namespace Rampart.Cli.Tests;

public sealed class DbCommandTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task Db_ImportThenInfo_ReportsCounts()
    {
        var advisories = Path.Combine(_temp.Path, "adv");
        DependencyFixtures.WriteAdvisories(advisories);
        var db = Path.Combine(_temp.Path, "cache", "osv.db");
        var import = await CliRunner.RunAsync(["db", "import", advisories, "--db", db]);
        import.ExitCode.Should().Be(ExitCodes.Clean, import.Stderr);
        import.Stdout.Should().Contain("imported 2 advisories");
        var info = await CliRunner.RunAsync(["db", "info", "--db", db]);
        info.ExitCode.Should().Be(ExitCodes.Clean);
        info.Stdout.Should().Contain("advisories:  2 (2 packages");
    }

    [Fact]
    public async Task Db_ImportMissingSourceOrInfoWithoutDatabase_UsageErrorOneLine()
    {
        var import = await CliRunner.RunAsync(["db", "import", Path.Combine(_temp.Path, "nope"), "--db", Path.Combine(_temp.Path, "x.db")]);
        import.ExitCode.Should().Be(ExitCodes.UsageError);
        var info = await CliRunner.RunAsync(["db", "info", "--db", Path.Combine(_temp.Path, "x.db")]);
        info.ExitCode.Should().Be(ExitCodes.UsageError);
        info.Stderr.Trim().Split('\n').Should().ContainSingle().Which.Should().Contain("rampart db import");
    }
}
