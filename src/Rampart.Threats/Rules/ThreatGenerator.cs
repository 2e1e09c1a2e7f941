using System.Collections.Immutable;
using Rampart.Threats.Model;

namespace Rampart.Threats.Rules;

/// <summary>Which components and flows of a system a rule applies to (the one matcher; the self-tests run it too).</summary>
public static class ThreatGenerator
{
    /// <summary>The subjects <paramref name="rule"/> applies to: id, name, line, and the components involved (one, or a flow's two ends).</summary>
    public static IEnumerable<(string Id, string Name, SourceLine Line, ImmutableArray<Component> Ends)> Subjects(SystemModel system, ThreatRule rule)
    {
        ArgumentNullException.ThrowIfNull(system);
        ArgumentNullException.ThrowIfNull(rule);
        if (rule.Target == RuleTarget.Component)
        {
            foreach (var c in system.Components.Where(c => Matches(rule.When, c)))
            {
                yield return (c.Id, c.Name, c.Line, [c]);
            }

            yield break;
        }

        foreach (var f in system.Flows.Where(f => Matches(rule.When, system, f)))
        {
            var from = system.Get(f.From);
            var to = system.Get(f.To);
            yield return (f.Id, f.Label is null ? $"{from.Name} -> {to.Name}" : $"{from.Name} -> {to.Name} ({f.Label})", f.Line, [from, to]);
        }
    }

    /// <summary>What a flow carries: its own data classes, or when it names none, what its source holds.</summary>
    public static ImmutableArray<DataClass> FlowClasses(SystemModel system, string flowId)
    {
        ArgumentNullException.ThrowIfNull(system);
        var flow = system.Flows.First(f => f.Id == flowId);
        return flow.DataClasses.IsEmpty ? system.Get(flow.From).DataClasses : flow.DataClasses;
    }

    public static bool Matches(RuleCondition when, Component c)
    {
        ArgumentNullException.ThrowIfNull(when);
        ArgumentNullException.ThrowIfNull(c);
        return In(when.Kind, c.Kind)
            && Shares(when.ModelType, c.ModelTypes)
            && In(when.Exposure, c.Exposure)
            && Shares(when.DataClasses, c.DataClasses)
            && (when.Tools is not { } tools || tools == !c.Tools.IsEmpty)
            && (when.Retrieval is not { } retrieval || retrieval == c.Retrieval);
    }

    public static bool Matches(RuleCondition when, SystemModel system, Flow f)
    {
        ArgumentNullException.ThrowIfNull(when);
        ArgumentNullException.ThrowIfNull(system);
        ArgumentNullException.ThrowIfNull(f);
        var from = system.Get(f.From);
        var to = system.Get(f.To);
        return In(when.FromKind, from.Kind)
            && In(when.ToKind, to.Kind)
            && In(when.Exposure, (Exposure)Math.Max((int)from.Exposure, (int)to.Exposure))
            && Shares(when.DataClasses, FlowClasses(system, f.Id))
            && (when.CrossesBoundary is not { } crosses || crosses == system.CrossesBoundary(f));
    }

    private static bool In<T>(ImmutableArray<T> allowed, T value) => allowed.IsEmpty || allowed.Contains(value);

    private static bool Shares<T>(ImmutableArray<T> wanted, ImmutableArray<T> have) => wanted.IsEmpty || wanted.Any(have.Contains);
}
