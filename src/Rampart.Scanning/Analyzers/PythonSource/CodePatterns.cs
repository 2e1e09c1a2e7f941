using System.Collections.Frozen;
using System.Collections.Immutable;
using System.Text.Json;
using System.Text.RegularExpressions;
using Rampart.Text;
using Rampart.Text.PersonalData;
using Rampart.Text.Secrets;

namespace Rampart.Scanning.Analyzers.PythonSource;

/// <summary>An argument condition of a call pattern: which argument, and what must hold of it.</summary>
internal sealed record ArgCondition(int? Position, string? Keyword, string Test, ImmutableArray<string> Values);

/// <summary>A call pattern: calls whose resolved target matches one of <see cref="Calls"/> and every condition.</summary>
internal sealed record CallPattern(string Id, string Rule, ImmutableArray<Glob> Calls, ImmutableArray<ArgCondition> All, string Message, string Question)
{
    /// <summary>Calls matched by <see cref="Calls"/> that this pattern leaves to another (a more specific one).</summary>
    public ImmutableArray<Glob> Except { get; init; } = [];
}

/// <summary>Names that are risky merely by being referenced (ssl.CERT_NONE).</summary>
internal sealed record ReferencePattern(string Id, string Rule, ImmutableArray<string> Names, string Message, string Question);

/// <summary>Environment variables that hold credentials when assigned a constant in code.</summary>
internal sealed record EnvironmentPattern(string Id, string Rule, ImmutableArray<string> Names, string Message, string Question);

/// <summary>One external AI provider: SDK modules and API hosts.</summary>
internal sealed record AiProvider(string Name, string Title, ImmutableArray<string> Modules, ImmutableArray<Glob> Calls, ImmutableArray<Glob> Hosts);

/// <summary>Settings of the web-endpoint and serving-code detectors.</summary>
internal sealed record WebSettings(
    string EndpointRule,
    string LoggingRule,
    ImmutableArray<string> RouteMethods,
    ImmutableArray<Glob> AppFactories,
    ImmutableArray<string> InferenceMethods,
    ImmutableArray<Glob> ModelFactories,
    Regex AuthHint,
    ImmutableArray<Glob> UiLaunchers,
    ImmutableArray<string> ServingModules,
    ImmutableArray<Glob> LogCalls,
    ImmutableArray<Glob> DataFactories,
    ImmutableArray<string> RowMethods,
    string EndpointQuestion,
    string LoggingQuestion);

/// <summary>A glob over dotted names: '*' matches any run of characters, dots included.</summary>
internal sealed class Glob
{
    private readonly Regex _regex;

    public Glob(string pattern)
    {
        Pattern = pattern;
        _regex = new Regex("^" + Regex.Escape(pattern).Replace(@"\*", ".*", StringComparison.Ordinal) + "$", RegexOptions.CultureInvariant | RegexOptions.Compiled, TimeSpan.FromSeconds(1));
    }

    public string Pattern { get; }

    public bool IsMatch(string name) => _regex.IsMatch(name);

    public override string ToString() => Pattern;
}

/// <summary>
/// The code rules' detection patterns, read from rules/code/*.json (embedded as codepatterns/*.json). Strict: an
/// unknown key, test or rule id is an error at load time, never a silently dead pattern.
/// </summary>
internal sealed class CodePatterns
{
    public static readonly FrozenSet<string> Tests = new[]
    {
        "missing", "present", "true", "not-true", "false", "not-constant", "not-repo-constant", "formatted-or-input",
        "constant-string", "in", "not-in", "not-commit-sha", "not-local-path", "url-with-credentials", "hub-model-or-missing",
        "all-interfaces", "hub-repo-unpinned",
    }.ToFrozenSet(StringComparer.Ordinal);

    private static readonly Lazy<CodePatterns> LazyDefault = new(() => Load(typeof(CodePatterns).Assembly));

    public static CodePatterns Default => LazyDefault.Value;

    public ImmutableArray<CallPattern> Calls { get; private init; } = [];

    public ImmutableArray<ReferencePattern> References { get; private init; } = [];

    public ImmutableArray<EnvironmentPattern> Environment { get; private init; } = [];

    public ImmutableArray<AiProvider> AiProviders { get; private init; } = [];

    public string AiRule { get; private init; } = "";

    public string AiDataClassRule { get; private init; } = "";

    public string AiQuestion { get; private init; } = "";

    public WebSettings Web { get; private init; } = null!;

    /// <summary>The secret and personal-data patterns (Rampart.Text), shared with the runtime guard and dataset scans.</summary>
    public TextPatterns Text { get; private init; } = TextPatterns.Default;

    public ImmutableArray<SecretPattern> Secrets => Text.Secrets;

    public ImmutableArray<PiiPattern> Pii => Text.Pii;

    public string PipRule { get; private init; } = "";

    public string PipQuestion { get; private init; } = "";

    /// <summary>Review questions for rules whose findings carry no pattern (secrets, PII), by rule id.</summary>
    public ImmutableDictionary<string, string> Questions { get; private init; } = ImmutableDictionary<string, string>.Empty;

    /// <summary>Every rule id a pattern raises.</summary>
    public IEnumerable<string> RuleIds =>
        Calls.Select(c => c.Rule).Concat(References.Select(r => r.Rule)).Concat(Environment.Select(e => e.Rule))
            .Concat(Secrets.Select(s => s.Rule)).Concat(Pii.Select(p => p.Rule))
            .Concat([AiRule, AiDataClassRule, Web.EndpointRule, Web.LoggingRule, PipRule]).Distinct(StringComparer.Ordinal);

    public static CodePatterns Load(System.Reflection.Assembly assembly) => Parse(PatternJson.LoadEmbedded(assembly, "codepatterns/"));

    /// <summary>Parses the pattern documents (by source name); throws <see cref="InvalidDataException"/> naming the problem.</summary>
    public static CodePatterns Parse(IReadOnlyDictionary<string, JsonElement> documents)
    {
        ArgumentNullException.ThrowIfNull(documents);
        var calls = ImmutableArray.CreateBuilder<CallPattern>();
        var references = ImmutableArray.CreateBuilder<ReferencePattern>();
        var environment = ImmutableArray.CreateBuilder<EnvironmentPattern>();
        var providers = ImmutableArray.CreateBuilder<AiProvider>();
        var questions = ImmutableDictionary.CreateBuilder<string, string>(StringComparer.Ordinal);
        WebSettings? web = null;
        string aiRule = "", aiDataRule = "", aiQuestion = "", pipRule = "", pipQuestion = "";
        foreach (var (source, root) in documents)
        {
            Keys(root, source, "calls", "references", "environment", "web", "ai", "pip", "questions");
            foreach (var p in Array(root, "calls"))
            {
                Keys(p, source, "id", "rule", "calls", "except", "all", "message", "question");
                var conditions = Array(p, "all").Select(c =>
                {
                    Keys(c, source, "position", "keyword", "test", "values");
                    var test = Str(c, "test", source);
                    if (!Tests.Contains(test))
                    {
                        throw new InvalidDataException($"{source}: unknown argument test '{test}' (use one of {string.Join(", ", Tests)})");
                    }

                    var position = c.TryGetProperty("position", out var pos) ? pos.GetInt32() : (int?)null;
                    var keyword = c.TryGetProperty("keyword", out var kw) ? kw.GetString() : null;
                    if (position is null && keyword is null)
                    {
                        throw new InvalidDataException($"{source}: an argument condition needs 'position' or 'keyword'");
                    }

                    return new ArgCondition(position, keyword, test, Strings(c, "values"));
                }).ToImmutableArray();
                calls.Add(new CallPattern(Str(p, "id", source), Rule(p, source), [.. Strings(p, "calls").Select(g => new Glob(g))], conditions, Str(p, "message", source), Str(p, "question", source))
                {
                    Except = [.. Strings(p, "except").Select(g => new Glob(g))],
                });
            }

            foreach (var p in Array(root, "references"))
            {
                Keys(p, source, "id", "rule", "names", "message", "question");
                references.Add(new ReferencePattern(Str(p, "id", source), Rule(p, source), Strings(p, "names"), Str(p, "message", source), Str(p, "question", source)));
            }

            foreach (var p in Array(root, "environment"))
            {
                Keys(p, source, "id", "rule", "names", "message", "question");
                environment.Add(new EnvironmentPattern(Str(p, "id", source), Rule(p, source), Strings(p, "names"), Str(p, "message", source), Str(p, "question", source)));
            }

            if (root.TryGetProperty("ai", out var ai))
            {
                Keys(ai, source, "rule", "dataClassRule", "question", "providers");
                aiRule = Rule(ai, source);
                aiDataRule = Str(ai, "dataClassRule", source);
                aiQuestion = Str(ai, "question", source);
                foreach (var p in Array(ai, "providers"))
                {
                    Keys(p, source, "name", "title", "modules", "calls", "hosts");
                    providers.Add(new AiProvider(Str(p, "name", source), Str(p, "title", source), Strings(p, "modules"),
                        [.. Strings(p, "calls").Select(g => new Glob(g))], [.. Strings(p, "hosts").Select(g => new Glob(g))]));
                }
            }

            if (root.TryGetProperty("web", out var w))
            {
                Keys(w, source, "endpointRule", "loggingRule", "routeMethods", "appFactories", "inferenceMethods", "modelFactories", "authHint",
                    "uiLaunchers", "servingModules", "logCalls", "dataFactories", "rowMethods", "endpointQuestion", "loggingQuestion");
                web = new WebSettings(
                    Str(w, "endpointRule", source), Str(w, "loggingRule", source), Strings(w, "routeMethods"),
                    Globs(w, "appFactories"), Strings(w, "inferenceMethods"), Globs(w, "modelFactories"),
                    new Regex(Str(w, "authHint", source), RegexOptions.CultureInvariant | RegexOptions.IgnoreCase, TimeSpan.FromSeconds(1)),
                    Globs(w, "uiLaunchers"), Strings(w, "servingModules"), Globs(w, "logCalls"), Globs(w, "dataFactories"), Strings(w, "rowMethods"),
                    Str(w, "endpointQuestion", source), Str(w, "loggingQuestion", source));
            }

            if (root.TryGetProperty("pip", out var pip))
            {
                Keys(pip, source, "rule", "question");
                pipRule = Rule(pip, source);
                pipQuestion = Str(pip, "question", source);
            }

            if (root.TryGetProperty("questions", out var q))
            {
                foreach (var property in q.EnumerateObject())
                {
                    questions[property.Name] = property.Value.GetString() ?? throw new InvalidDataException($"{source}: question for {property.Name} is not a string");
                }
            }
        }

        return new CodePatterns
        {
            Calls = calls.ToImmutable(),
            References = references.ToImmutable(),
            Environment = environment.ToImmutable(),
            AiProviders = providers.ToImmutable(),
            AiRule = aiRule,
            AiDataClassRule = aiDataRule,
            AiQuestion = aiQuestion,
            Web = web ?? throw new InvalidDataException("no pattern file has the 'web' settings"),
            PipRule = pipRule,
            PipQuestion = pipQuestion,
            Questions = questions.ToImmutable(),
        };
    }

    internal static void Keys(JsonElement e, string source, params string[] allowed) => PatternJson.Keys(e, source, allowed);

    internal static string Str(JsonElement e, string name, string source) => PatternJson.Str(e, name, source);

    private static string Rule(JsonElement e, string source) => PatternJson.RuleId(e, source);

    private static List<JsonElement> Array(JsonElement e, string name) => PatternJson.Array(e, name);

    internal static ImmutableArray<string> Strings(JsonElement e, string name) => PatternJson.Strings(e, name);

    private static ImmutableArray<Glob> Globs(JsonElement e, string name) => [.. Strings(e, name).Select(g => new Glob(g))];
}
