using System.Collections.Immutable;
using System.Globalization;
using Rampart.Core.IO;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Rampart.Threats.Model;

/// <summary>A system.yaml that cannot be used; <see cref="Errors"/> lists every problem as "file:line:column: message".</summary>
public sealed class SystemModelException(string source, IReadOnlyList<string> errors)
    : Exception($"{source}: {errors.Count} problem(s):{Environment.NewLine}" + string.Join(Environment.NewLine, errors.Select(e => "  " + e)))
{
    public IReadOnlyList<string> Errors { get; } = errors;
}

/// <summary>
/// Reads system.yaml (docs/threats.md) with YamlDotNet's representation model, keeping the line of every definition.
/// Collects every problem (unknown keys and kinds, duplicate ids, dangling references, cycles in the flows) before
/// failing, so one run shows them all.
/// </summary>
public static class SystemParser
{
    /// <summary>system.yaml is a hand-written description; a megabyte is far more than any real one.</summary>
    public const long MaxBytes = 1024 * 1024;

    /// <summary>
    /// YamlDotNet parses flow collections recursively; deeply nested brackets would exhaust the stack, which no catch
    /// can handle, so they are refused before parsing.
    /// </summary>
    public const int MaxFlowDepth = 64;

    /// <summary>The deepest nesting of [ and { outside quotes and comments (a conservative pre-check, not a YAML parser).</summary>
    internal static int FlowDepth(string text)
    {
        var depth = 0;
        var max = 0;
        var quote = '\0';
        var comment = false;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (comment)
            {
                comment = c != '\n';
            }
            else if (quote != '\0')
            {
                quote = c == quote ? '\0' : quote;
            }
            else if (c is '"' or '\'')
            {
                quote = c;
            }
            else if (c == '#' && (i == 0 || char.IsWhiteSpace(text[i - 1])))
            {
                comment = true;
            }
            else if (c is '[' or '{')
            {
                max = Math.Max(max, ++depth);
            }
            else if (c is ']' or '}')
            {
                depth = Math.Max(0, depth - 1);
            }
            else if (c == '\n' && depth == 0)
            {
                quote = '\0';
            }
        }

        return max;
    }

    public static SystemModel Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path))
        {
            throw new SystemModelException(path, [$"{path}: no such file"]);
        }

        string text;
        try
        {
            text = BoundedFile.ReadAllText(path, MaxBytes);
        }
        catch (FileTooLargeException e)
        {
            throw new SystemModelException(path, [$"{path}: {e.Message}"]);
        }

        return Parse(text, path, Path.GetDirectoryName(Path.GetFullPath(path))!);
    }

    public static SystemModel Parse(string text, string source, string baseDirectory)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (FlowDepth(text) > MaxFlowDepth)
        {
            throw new SystemModelException(source, [$"{source}:1:1: brackets nested deeper than {MaxFlowDepth} levels: not a system description"]);
        }

        var yaml = new YamlStream();
        try
        {
            yaml.Load(new StringReader(text));
        }
        catch (YamlException e)
        {
            throw new SystemModelException(source, [$"{source}:{e.Start.Line}:{e.Start.Column}: not valid YAML: {e.Message}"]);
        }

        if (yaml.Documents.Count != 1 || yaml.Documents[0].RootNode is not YamlMappingNode root)
        {
            throw new SystemModelException(source, [$"{source}:1:1: a system description is one YAML mapping (system, components, flows, ...)"]);
        }

        var r = new Reader(source);
        var model = r.Read(root, baseDirectory);
        return r.Errors.Count > 0 || model is null ? throw new SystemModelException(source, r.Errors) : model;
    }

    private sealed class Reader(string source)
    {
        public List<string> Errors { get; } = [];

        /// <summary>Every component id written, even of a component with other errors (so flows to it are not dangling too).</summary>
        private HashSet<string> Declared { get; } = new(StringComparer.Ordinal);

        private static SourceLine At(YamlNode node) => new((int)node.Start.Line, (int)node.Start.Column);

        private void Error(YamlNode node, string message) => Errors.Add($"{source}:{node.Start.Line}:{node.Start.Column}: {message}");

        private void Error(SourceLine line, string message) => Errors.Add($"{source}:{line.Line}:{line.Column}: {message}");

        public SystemModel? Read(YamlMappingNode root, string baseDirectory)
        {
            Keys(root, "the top level", "system", "description", "review", "boundaries", "components", "flows", "evidence", "risks", "attestations");
            var name = Str(root, "system");
            if (name is null)
            {
                Error(root, "'system' (the system's name) is required");
            }

            var review = ReadReview(root);
            var boundaries = Items(root, "boundaries").Select(ReadBoundary).OfType<TrustBoundary>().ToImmutableArray();
            var components = Items(root, "components").Select(ReadComponent).OfType<Component>().ToImmutableArray();
            if (components.IsEmpty && Get(root, "components") is null)
            {
                Error(root, "'components' is required: list the parts of the system");
            }

            var flows = Items(root, "flows").Select(ReadFlow).OfType<Flow>().ToImmutableArray();
            var evidence = Get(root, "evidence") is { } e ? ReadEvidence(e) : EvidenceSources.None;
            var risks = Items(root, "risks").Select(ReadRisk).OfType<RiskOverride>().ToImmutableArray();
            var attestations = Items(root, "attestations").Select(ReadAttestation).OfType<Attestation>().ToImmutableArray();

            Duplicates(boundaries.Select(b => (b.Id, b.Line)), "trust boundary");
            Duplicates(components.Select(c => (c.Id, c.Line)), "component");
            Duplicates(flows.Select(f => (f.Id, f.Line)), "flow");
            var ids = Declared;
            var boundaryIds = boundaries.Select(b => b.Id).ToHashSet(StringComparer.Ordinal);
            foreach (var c in components.Where(c => c.Boundary is not null && !boundaryIds.Contains(c.Boundary)))
            {
                Error(c.Line, $"component '{c.Id}' is in trust boundary '{c.Boundary}', which is not defined under 'boundaries'");
            }

            foreach (var f in flows)
            {
                foreach (var end in new[] { f.From, f.To }.Where(end => !ids.Contains(end)))
                {
                    Error(f.Line, $"flow '{f.Id}' refers to component '{end}', which is not defined under 'components'");
                }

                if (f.From == f.To)
                {
                    Error(f.Line, $"flow '{f.Id}' goes from '{f.From}' to itself");
                }
            }

            foreach (var a in attestations.Where(a => a.Component is not null && !ids.Contains(a.Component)))
            {
                Error(a.Line, $"attestation of {a.Mitigation} names component '{a.Component}', which is not defined");
            }

            if (Errors.Count == 0)
            {
                FindCycle(flows);
            }

            return name is null || review is null
                ? null
                : new SystemModel(name, Str(root, "description"), review, boundaries, components, flows, evidence, risks, attestations, source, baseDirectory);
        }

        /// <summary>Data flows form a directed acyclic graph (a response travels back on its request's flow).</summary>
        private void FindCycle(ImmutableArray<Flow> flows)
        {
            var outgoing = flows.GroupBy(f => f.From, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.ToList(), StringComparer.Ordinal);
            var state = new Dictionary<string, int>(StringComparer.Ordinal);
            var path = new List<Flow>();

            bool Visit(string node)
            {
                state[node] = 1;
                foreach (var f in outgoing.GetValueOrDefault(node) ?? [])
                {
                    path.Add(f);
                    var s = state.GetValueOrDefault(f.To);
                    if (s == 1)
                    {
                        var start = path.FindIndex(p => p.From == f.To);
                        var loop = path.Skip(start).ToList();
                        Error(f.Line, $"the flows form a cycle: {string.Join(" -> ", loop.Select(p => p.From).Append(f.To))} (flows {string.Join(", ", loop.Select(p => $"'{p.Id}' at line {p.Line.Line}"))}); a data-flow diagram is acyclic: a response travels back on its request's flow, so remove the return flow");
                        return true;
                    }

                    if (s == 0 && Visit(f.To))
                    {
                        return true;
                    }

                    path.RemoveAt(path.Count - 1);
                }

                state[node] = 2;
                return false;
            }

            foreach (var node in outgoing.Keys.Order(StringComparer.Ordinal))
            {
                if (state.GetValueOrDefault(node) == 0 && Visit(node))
                {
                    return;
                }
            }
        }

        private void Duplicates(IEnumerable<(string Id, SourceLine Line)> items, string what)
        {
            foreach (var group in items.GroupBy(i => i.Id, StringComparer.Ordinal).Where(g => g.Count() > 1))
            {
                Error(group.Skip(1).First().Line, $"{what} id '{group.Key}' is defined more than once (first at line {group.First().Line.Line})");
            }
        }

        private Review? ReadReview(YamlMappingNode root)
        {
            if (Get(root, "review") is not YamlMappingNode n)
            {
                Error(root, "'review' is required: its date (YYYY-MM-DD), and its owners 'security' and 'dataScience'");
                return null;
            }

            Keys(n, "review", "date", "security", "dataScience");
            var date = Date(n, "date");
            if (date is null)
            {
                Error(n, "review 'date' is required (YYYY-MM-DD): due dates count from it");
            }

            var owners = ReadOwners(n, "review");
            return date is { } d && owners is not null ? new Review(d, owners) : null;
        }

        private Owners? ReadOwners(YamlMappingNode n, string where)
        {
            var security = Str(n, "security");
            var dataScience = Str(n, "dataScience");
            if (string.IsNullOrWhiteSpace(security) || string.IsNullOrWhiteSpace(dataScience))
            {
                Error(n, $"{where} needs an owner from each team: 'security' and 'dataScience'");
                return null;
            }

            return new Owners(security, dataScience);
        }

        private TrustBoundary? ReadBoundary(YamlNode node)
        {
            if (node is not YamlMappingNode n)
            {
                Error(node, "a trust boundary is a mapping with 'id' and 'name'");
                return null;
            }

            Keys(n, "a trust boundary", "id", "name");
            var id = Id(n, "trust boundary");
            return id is null ? null : new TrustBoundary(id, Str(n, "name") ?? id, At(n));
        }

        private Component? ReadComponent(YamlNode node)
        {
            if (node is not YamlMappingNode n)
            {
                Error(node, "a component is a mapping with at least 'id' and 'kind'");
                return null;
            }

            Keys(n, "a component", "id", "name", "kind", "exposure", "dataClasses", "modelType", "tools", "retrieval", "boundary", "owner", "evidence");
            var id = Id(n, "component");
            if (id is not null)
            {
                Declared.Add(id);
            }

            var kindText = Str(n, "kind");
            ComponentKind kind = default;
            if (kindText is null)
            {
                Error(n, $"component '{id}' needs a 'kind' ({Wire.Known<ComponentKind>()})");
            }
            else if (!Wire.TryParse(kindText, out kind))
            {
                Error(Get(n, "kind")!, $"unknown component kind '{kindText}' (known: {Wire.Known<ComponentKind>()})");
            }

            var exposure = Enum1(n, "exposure", Exposure.Internal);
            var dataClasses = Enums<DataClass>(n, "dataClasses");
            var modelTypes = Enums<ModelType>(n, "modelType");
            if (kind == ComponentKind.LlmApp && !modelTypes.Contains(ModelType.Llm))
            {
                // An LLM application is built on an LLM whether or not the description says so.
                modelTypes = [.. modelTypes.Add(ModelType.Llm).Order()];
            }

            if (!modelTypes.IsEmpty && kind is not (ComponentKind.ModelArtifact or ComponentKind.ModelRegistry or ComponentKind.ServingEndpoint or ComponentKind.LlmApp or ComponentKind.TrainingPipeline or ComponentKind.Notebook))
            {
                Error(Get(n, "modelType")!, $"component '{id}' is a {Wire.Name(kind)}, which holds no model: 'modelType' belongs on model artifacts, registries, training, serving endpoints and LLM apps");
            }

            var tools = Strings(n, "tools");
            var retrieval = Bool(n, "retrieval") ?? false;
            if ((!tools.IsEmpty || retrieval) && kind != ComponentKind.LlmApp)
            {
                Error(n, $"component '{id}': 'tools' and 'retrieval' describe an llm-app, not a {Wire.Name(kind)}");
            }

            var evidence = Get(n, "evidence") is { } e ? ReadEvidence(e) : EvidenceSources.None;
            return id is null || kindText is null || !Wire.TryParse<ComponentKind>(kindText, out _)
                ? null
                : new Component(id, Str(n, "name") ?? id, kind, exposure, dataClasses, modelTypes, tools, retrieval, Str(n, "boundary"), Str(n, "owner"), evidence, At(n));
        }

        private Flow? ReadFlow(YamlNode node)
        {
            if (node is not YamlMappingNode n)
            {
                Error(node, "a flow is a mapping with 'from' and 'to'");
                return null;
            }

            Keys(n, "a flow", "id", "from", "to", "label", "dataClasses");
            var from = Str(n, "from");
            var to = Str(n, "to");
            if (from is null || to is null)
            {
                Error(n, "a flow needs 'from' and 'to' (component ids)");
                return null;
            }

            var id = Str(n, "id") ?? $"{from}->{to}";
            return new Flow(id, from, to, Str(n, "label"), Enums<DataClass>(n, "dataClasses"), At(n));
        }

        public EvidenceSources ReadEvidence(YamlNode node)
        {
            if (node is not YamlMappingNode n)
            {
                Error(node, "'evidence' is a mapping (model, signature, publicKey, dataset, audit, ledger, gateway, routes, redTeam)");
                return EvidenceSources.None;
            }

            Keys(n, "evidence", "model", "signature", "publicKey", "dataset", "audit", "ledger", "gateway", "routes", "redTeam");
            return new EvidenceSources
            {
                Model = Str(n, "model"),
                Signature = Str(n, "signature"),
                PublicKey = Str(n, "publicKey"),
                Dataset = Str(n, "dataset"),
                Audit = Str(n, "audit"),
                Ledger = Str(n, "ledger"),
                Gateway = Str(n, "gateway"),
                Routes = Strings(n, "routes"),
                RedTeam = Str(n, "redTeam"),
            };
        }

        private RiskOverride? ReadRisk(YamlNode node)
        {
            if (node is not YamlMappingNode n)
            {
                Error(node, "a risk entry is a mapping: threat, likelihood and/or impact, justification, owners");
                return null;
            }

            Keys(n, "a risk entry", "threat", "likelihood", "impact", "justification", "owners", "due", "decision");
            var threat = Str(n, "threat");
            if (threat is null)
            {
                Error(n, "a risk entry needs 'threat' (a threat id such as RAMP-THR-005:api, as printed in the report)");
            }

            var likelihood = Score(n, "likelihood");
            var impact = Score(n, "impact");
            var justification = Str(n, "justification");
            if (string.IsNullOrWhiteSpace(justification))
            {
                Error(n, $"the risk entry for '{threat}' needs a 'justification': say why the score differs from the default");
            }

            Owners? owners = null;
            if (Get(n, "owners") is YamlMappingNode o)
            {
                Keys(o, "owners", "security", "dataScience");
                owners = ReadOwners(o, $"the risk entry for '{threat}'");
            }
            else
            {
                Error(n, $"the risk entry for '{threat}' needs 'owners' with 'security' and 'dataScience': a joint assessment has an owner from each team");
            }

            var decision = Enum1(n, "decision", RiskDecision.Mitigate);
            return threat is null || justification is null || owners is null
                ? null
                : new RiskOverride(threat, likelihood, impact, justification, owners, Date(n, "due"), decision, At(n));
        }

        private Attestation? ReadAttestation(YamlNode node)
        {
            if (node is not YamlMappingNode n)
            {
                Error(node, "an attestation is a mapping: mitigation, by, statement, and optionally component");
                return null;
            }

            Keys(n, "an attestation", "mitigation", "component", "by", "statement");
            var mitigation = Str(n, "mitigation");
            var by = Str(n, "by");
            var statement = Str(n, "statement");
            if (mitigation is null || by is null || statement is null)
            {
                Error(n, "an attestation needs 'mitigation' (an ATLAS mitigation id), 'by' and 'statement'");
                return null;
            }

            return new Attestation(mitigation, Str(n, "component"), by, statement, At(n));
        }

        private string? Id(YamlMappingNode n, string what)
        {
            var id = Str(n, "id");
            if (id is null)
            {
                Error(n, $"a {what} needs an 'id'");
            }
            else if (id.Length == 0 || id.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.')))
            {
                Error(Get(n, "id")!, $"{what} id '{id}' may only hold letters, digits, '-', '_' and '.'");
                return null;
            }

            return id;
        }

        private IEnumerable<YamlNode> Items(YamlMappingNode n, string key)
        {
            switch (Get(n, key))
            {
                case null:
                    return [];
                case YamlSequenceNode s:
                    return s.Children;
                case var other:
                    Error(other, $"'{key}' is a list");
                    return [];
            }
        }

        private static YamlNode? Get(YamlMappingNode n, string key) =>
            n.Children.TryGetValue(new YamlScalarNode(key), out var v) ? v : null;

        private void Keys(YamlMappingNode n, string where, params string[] known)
        {
            foreach (var key in n.Children.Keys)
            {
                var k = (key as YamlScalarNode)?.Value ?? "?";
                if (!known.Contains(k, StringComparer.Ordinal))
                {
                    Error(key, $"unknown key '{k}' in {where} (known: {string.Join(", ", known)})");
                }
            }
        }

        private string? Str(YamlMappingNode n, string key)
        {
            switch (Get(n, key))
            {
                case null:
                    return null;
                case YamlScalarNode s:
                    return s.Value;
                case var other:
                    Error(other, $"'{key}' must be a single value");
                    return null;
            }
        }

        private ImmutableArray<string> Strings(YamlMappingNode n, string key)
        {
            switch (Get(n, key))
            {
                case null:
                    return [];
                case YamlScalarNode { Value: { } v }:
                    return [v];
                case YamlSequenceNode s:
                    var list = ImmutableArray.CreateBuilder<string>();
                    foreach (var c in s.Children)
                    {
                        if (c is YamlScalarNode { Value: { } x })
                        {
                            list.Add(x);
                        }
                        else
                        {
                            Error(c, $"'{key}' lists single values");
                        }
                    }

                    return list.ToImmutable();
                case var other:
                    Error(other, $"'{key}' is a value or a list of values");
                    return [];
            }
        }

        private T Enum1<T>(YamlMappingNode n, string key, T fallback)
            where T : struct, Enum
        {
            var text = Str(n, key);
            if (text is null)
            {
                return fallback;
            }

            if (Wire.TryParse<T>(text, out var value))
            {
                return value;
            }

            Error(Get(n, key)!, $"unknown {key} '{text}' (known: {Wire.Known<T>()})");
            return fallback;
        }

        private ImmutableArray<T> Enums<T>(YamlMappingNode n, string key)
            where T : struct, Enum
        {
            var result = ImmutableArray.CreateBuilder<T>();
            foreach (var text in Strings(n, key))
            {
                if (Wire.TryParse<T>(text, out var value))
                {
                    result.Add(value);
                }
                else
                {
                    Error(Get(n, key)!, $"unknown {key} value '{text}' (known: {Wire.Known<T>()})");
                }
            }

            return [.. result.Distinct().Order()];
        }

        private bool? Bool(YamlMappingNode n, string key)
        {
            var text = Str(n, key);
            if (text is null)
            {
                return null;
            }

            if (bool.TryParse(text, out var b))
            {
                return b;
            }

            Error(Get(n, key)!, $"'{key}' is true or false, not '{text}'");
            return null;
        }

        private int? Score(YamlMappingNode n, string key)
        {
            var text = Str(n, key);
            if (text is null)
            {
                return null;
            }

            if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var v) && v is >= 1 and <= 5)
            {
                return v;
            }

            Error(Get(n, key)!, $"'{key}' is a whole number from 1 to 5, not '{text}'");
            return null;
        }

        private DateOnly? Date(YamlMappingNode n, string key)
        {
            var text = Str(n, key);
            if (text is null)
            {
                return null;
            }

            if (DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d))
            {
                return d;
            }

            Error(Get(n, key)!, $"'{key}' is a date (YYYY-MM-DD), not '{text}'");
            return null;
        }
    }
}
