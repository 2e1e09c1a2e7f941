using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Rampart.Server.Dashboard;
using Rampart.Server.Data;

namespace Rampart.Server.Tests.Activity;

/// <summary>
/// The scorecard's open findings by severity come from counts stored per version (filled once the gate has
/// finished, backfilled for versions without them) and agree with the findings the API returns for each version.
/// </summary>
public sealed class ScorecardCountsTests
{
    [Fact]
    public async Task FindingsBySeverity_AreCountedOnce_AndMatchTheVersionsFindings()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateProjectAsync("p");
        using var dana = await server.UserAsync("dana", "p", "data-scientist");
        (await dana.UploadAsync("p", "m", "1", "model.pkl", Models.HostilePickle())).EnsureCreated();
        (await dana.UploadAsync("p", "m", "2", "model.safetensors", Models.CleanSafetensors())).EnsureCreated();
        var expected = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var label in new[] { "1", "2" })
        {
            var gate = await dana.WaitForGateAsync("p", "m", label);
            foreach (var finding in gate["findings"]!.AsArray())
            {
                var severity = finding!["severity"]!.GetValue<string>().ToLowerInvariant();
                expected[severity] = expected.GetValueOrDefault(severity) + 1;
            }
        }

        expected.Values.Sum().Should().BePositive("the hostile pickle has findings");
        using var scope = server.Host.Services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<ServerDb>();
        var project = await db.Projects.SingleAsync(p => p.Name == "p");
        var first = await Scorecard.ComputeAsync(db, project.Id, server.Time.GetUtcNow(), CancellationToken.None);
        foreach (var severity in Scorecard.Severities)
        {
            first.OpenFindingsBySeverity[severity].Should().Be(expected.GetValueOrDefault(severity), severity);
        }

        (await db.VersionFindingCounts.CountAsync()).Should().Be(2, "one row per version whose gate finished");

        // Stored counts are what is read: a second view reads them without counting again.
        var second = await Scorecard.ComputeAsync(db, project.Id, server.Time.GetUtcNow(), CancellationToken.None);
        second.OpenFindingsBySeverity.Should().Equal(first.OpenFindingsBySeverity);
        (await db.VersionFindingCounts.CountAsync()).Should().Be(2);

        // Backfill: rows removed (as in a database from before the counts) are filled again on the next view.
        await db.VersionFindingCounts.ExecuteDeleteAsync();
        var third = await Scorecard.ComputeAsync(db, project.Id, server.Time.GetUtcNow(), CancellationToken.None);
        third.OpenFindingsBySeverity.Should().Equal(first.OpenFindingsBySeverity);
    }
}
