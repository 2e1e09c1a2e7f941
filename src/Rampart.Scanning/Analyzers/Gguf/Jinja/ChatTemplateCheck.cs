using Rampart.Core;
using Rampart.Scanning.Engine;

namespace Rampart.Scanning.Analyzers.Gguf.Jinja;

/// <summary>Parses one chat template and turns what <see cref="TemplateAnalysis"/> finds into findings.</summary>
internal static class ChatTemplateCheck
{
    public const string InternalAttribute = "RAMP-GGUF-010";
    public const string BuiltName = "RAMP-GGUF-011";
    public const string ComputedName = "RAMP-GGUF-012";
    public const string GlobalReach = "RAMP-GGUF-013";
    public const string TemplateLoad = "RAMP-GGUF-014";
    public const string DangerousCall = "RAMP-GGUF-015";

    /// <summary>Parses and analyses <paramref name="template"/>; <paramref name="source"/> names where it came from (a metadata key, a JSON field).</summary>
    public static void Check(AnalysisResult result, string template, string source, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(template);
        TemplateNode tree;
        try
        {
            tree = JinjaParser.Parse(template, cancellationToken);
        }
        catch (JinjaSyntaxException e)
        {
            result.Inconclusive($"the chat template '{source}' is not valid Jinja: {e.Message} (line {e.Line}, column {e.Column})",
                new FindingLocation(Line: e.Line, Column: e.Column, Detail: source));
            return;
        }

        foreach (var issue in TemplateAnalysis.Analyze(tree, cancellationToken))
        {
            var rule = issue.Kind switch
            {
                TemplateIssueKind.InternalAttribute => InternalAttribute,
                TemplateIssueKind.BuiltName => BuiltName,
                TemplateIssueKind.ComputedName => ComputedName,
                TemplateIssueKind.GlobalReach => GlobalReach,
                TemplateIssueKind.TemplateLoad => TemplateLoad,
                _ => DangerousCall,
            };
            result.Report(rule, $"chat template '{source}' {issue.Message} (line {issue.Line}, column {issue.Column})",
                new FindingLocation(Line: issue.Line, Column: issue.Column, Detail: source),
                [new("template", source), new("name", issue.Name)]);
        }
    }
}
