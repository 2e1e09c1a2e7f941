using System.CommandLine;
using System.Globalization;
using System.Reflection;
using System.Text;
using Rampart.Core;
using Rampart.Core.Rules;
using Rampart.Scanning;

namespace Rampart.Cli.Commands;

/// <summary>rampart rules list | rampart rules show ID: the rule catalog as shipped in this build, every room's.</summary>
internal static class RulesCommand
{
    /// <summary>
    /// One catalog over the rule files of every room that raises rules: the scanner's (rules/*.json), the prompt-injection
    /// rules of Rampart.Text (rules/guard/injection.json) the runtime guard's (rules/guard.json, rules/guard/guard-ml.json), the dataset rules (rules/data/rules.json) and the
    /// red-team rules (rules/redteam/catalog.json).
    /// Each file is embedded by exactly one of these assemblies, so no id is loaded twice.
    /// </summary>
    internal static readonly Assembly[] Rooms =
    [
        typeof(AnalyzerRegistry).Assembly,
        typeof(Rampart.Text.Injection.InjectionRules).Assembly,
        typeof(Rampart.Guard.Checks.GuardRules).Assembly,
        typeof(Rampart.Data.Scan.DataRules).Assembly,
        typeof(Rampart.RedTeam.Probes.ProbeCatalog).Assembly,
    ];

    private static readonly Lazy<RuleCatalog> LazyCatalog = new(() => RuleCatalog.FromAssemblies(Rooms));

    internal static RuleCatalog Catalog => LazyCatalog.Value;

    public static Command Create(CliEnvironment environment)
    {
        var list = new Command("list", "List every rule: id, severity, verdict and title.");
        list.SetAction((_, cancellationToken) => WriteAsync(environment, List(), cancellationToken));

        var id = new Argument<string>("ID") { Description = "A rule id, e.g. RAMP-GEN-003." };
        var show = new Command("show", "Show one rule: why it matters, how to fix it, references.") { id };
        show.SetAction((parse, cancellationToken) => WriteAsync(environment, Show(parse.GetValue(id) ?? ""), cancellationToken));

        return new Command("rules", "Browse the detection rules.") { list, show };
    }

    internal static string List()
    {
        var rules = Catalog.Rules;
        var idWidth = Math.Max(2, rules.Select(r => r.Id.Length).DefaultIfEmpty(0).Max());
        var verdictWidth = Enum.GetValues<Verdict>().Max(v => v.ToWire().Length);
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"{"ID".PadRight(idWidth)}  {"SEVERITY",-8}  {"VERDICT".PadRight(verdictWidth)}  TITLE");
        foreach (var rule in rules)
        {
            text.AppendLine(CultureInfo.InvariantCulture,
                $"{rule.Id.PadRight(idWidth)}  {rule.Severity.ToWire(),-8}  {rule.Verdict.ToWire().PadRight(verdictWidth)}  {rule.Title}");
        }

        return text.ToString();
    }

    /// <summary>
    /// The rule's page as shipped (docs/rules/ID.md, embedded in the program so it reads offline), headed by the
    /// catalog's severity and verdict; a rule without a page falls back to the catalog's own explanation.
    /// </summary>
    internal static string Show(string id)
    {
        var key = id.Trim().ToUpperInvariant();
        var known = Catalog.TryGet(key, out var rule);
        var page = RampartTool.RulePage(key);
        if (page is not null)
        {
            var shown = new StringBuilder(page.TrimEnd()).AppendLine().AppendLine();
            if (known)
            {
                shown.AppendLine(CultureInfo.InvariantCulture, $"Name: {rule!.Name}; severity {rule.Severity.ToWire()}, verdict {rule.Verdict.ToWire()}.");
            }

            return shown.AppendLine(CultureInfo.InvariantCulture, $"Online: {RampartTool.Info.RuleHelpUri(key).AbsoluteUri}").ToString();
        }

        if (!known)
        {
            throw new UsageException($"no rule with id '{id}' (see 'rampart rules list')");
        }

        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"{rule!.Id}: {rule.Title}");
        text.AppendLine(CultureInfo.InvariantCulture, $"Name:     {rule!.Name}");
        text.AppendLine(CultureInfo.InvariantCulture, $"Severity: {rule.Severity.ToWire()}");
        text.AppendLine(CultureInfo.InvariantCulture, $"Verdict:  {rule.Verdict.ToWire()}");
        if (!rule.Tags.IsDefaultOrEmpty)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"Tags:     {string.Join(", ", rule.Tags)}");
        }

        text.AppendLine();
        text.AppendLine(Core.Reporting.ReportText.HelpText(rule, RampartTool.Info.RuleHelpUri(rule.Id)));
        return text.ToString();
    }

    private static async Task<int> WriteAsync(CliEnvironment environment, string text, CancellationToken cancellationToken)
    {
        await environment.Out.WriteAsync(Encoding.UTF8.GetBytes(text), cancellationToken).ConfigureAwait(false);
        await environment.Out.FlushAsync(cancellationToken).ConfigureAwait(false);
        return ExitCodes.Clean;
    }
}
