using Microsoft.AspNetCore.Mvc;
using Rampart.Core.Rules;
using Rampart.Scanning;
using Rampart.Server.Hosting;

namespace Rampart.Server.Dashboard.Pages;

/// <summary>A rule's documentation page (docs/rules/ID.md, embedded in the scanner), shown as text.</summary>
[DashboardAccess(AccessLevel.User)]
public sealed class RuleModel : DashboardPage
{
    public RuleDefinition? Definition { get; private set; }

    public string? Text { get; private set; }

    public IActionResult OnGet(string id)
    {
        Definition = AnalyzerRegistry.Rules.TryGet(id, out var rule) ? rule : null;
        Text = Definition is null ? null : RampartTool.RulePage(Definition.Id);
        return Definition is null ? NotFoundPage("No rule with that id.") : Page();
    }
}
