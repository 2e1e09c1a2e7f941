using Rampart.Server.Incidents;

namespace Rampart.Server.Tests.Incidents;

public sealed class PlaybookTests
{
    [Fact]
    public void ShippedPlaybooks_CoverEveryIncidentTypeOfTheIssue_AndEveryAlarmKind()
    {
        Playbooks.All.Keys.Should().BeEquivalentTo("model-compromise", "data-poisoning", "prompt-injection-campaign", "data-leak", "supply-chain-compromise");
        foreach (var alarm in new[] { "extraction", "injection", "drift", "leak" })
        {
            Playbooks.ForAlarm(alarm).Should().NotBeNull(alarm);
        }

        Playbooks.All.Values.SelectMany(p => p.Steps).Where(s => s.Action is not null).Select(s => s.Action).Distinct().Should().BeEquivalentTo("quarantine", "revoke", "rotate-keys");
        Playbooks.All.Values.Should().OnlyContain(p => p.Steps.Select(s => s.Id).Distinct().Count() == p.Steps.Count);
    }
}
