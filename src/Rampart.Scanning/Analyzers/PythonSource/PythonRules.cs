using Rampart.Text.Detection;
using System.Collections.Immutable;
using System.Text.RegularExpressions;
using Rampart.Core.Policy;

namespace Rampart.Scanning.Analyzers.PythonSource;

/// <summary>One rule match in Python source: rule, message, 1-based line/column in the text given, properties.</summary>
internal sealed record CodeHit(string Rule, string Message, int Line, int Column, string Name, string Question, ImmutableSortedDictionary<string, string> Properties);

/// <summary>One piece of Python source, parsed, with its facts.</summary>
internal sealed record ParsedSource(string Source, PyModule Module, PyFacts Facts);

/// <summary>What the Python rules found in one piece of source.</summary>
internal sealed record CodeReviewResult(IReadOnlyList<CodeHit> Hits, int ParseErrors, IReadOnlyList<string> Errors)
{
    /// <summary>Part of the source was nested deeper than the parser reads (<see cref="PyParser.MaxDepth"/>): not analysed.</summary>
    public bool DepthLimitReached { get; init; }

    /// <summary>A line took longer than the pattern time limit to search for secrets; the hits before it are kept.</summary>
    public string? SecretSearchStopped { get; init; }
}

/// <summary>
/// Runs the code rules (rules/code/*.json) over Python source: call patterns with argument conditions, risky
/// references, credentials in os.environ, external AI providers judged against the policy, unauthenticated
/// prediction endpoints, data logged by serving code, and hard-coded secrets.
/// </summary>
internal static class PythonRules
{
    private static readonly Regex CommitSha = new("^[0-9a-f]{40}$", RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
    private static readonly Regex UrlCredentials = new(@"^[a-z][a-z0-9+.-]*://[^/@\s:]+:[^/@\s]+@", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase, TimeSpan.FromSeconds(1));
    private static readonly Regex UrlHost = new(@"(?:https?|wss?)://([A-Za-z0-9.-]+)", RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));

    /// <summary>Reviews one .py module: its functions' callers are followed within it (<see cref="PyCallers"/>).</summary>
    public static CodeReviewResult Run(string source, CodePatterns patterns, ScanPolicy policy, string path, CancellationToken cancellationToken)
    {
        var parsed = Parse(source, cancellationToken);
        PyCallers.Link([parsed.Facts], oneNamespace: false);
        return Run(parsed, patterns, policy, path, cancellationToken);
    }

    /// <summary>Parses one piece of source and collects its facts, for <see cref="PyCallers.Link"/> and then <see cref="Run(ParsedSource, CodePatterns, ScanPolicy, string, CancellationToken)"/>.</summary>
    public static ParsedSource Parse(string source, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(source);
        var module = PyParser.Parse(source, cancellationToken);
        return new ParsedSource(source, module, PyFacts.Collect(module, cancellationToken));
    }

    /// <summary>Runs the rules over source already parsed (and linked to the other cells of its notebook, if any).</summary>
    public static CodeReviewResult Run(ParsedSource parsed, CodePatterns patterns, ScanPolicy policy, string path, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(parsed);
        ArgumentNullException.ThrowIfNull(patterns);
        ArgumentNullException.ThrowIfNull(policy);
        cancellationToken.ThrowIfCancellationRequested();
        var (source, module, facts) = parsed;
        var hits = new List<CodeHit>();
        MatchCalls(facts, patterns, hits);
        MatchReferences(facts, patterns, hits);
        MatchEnvironment(facts, patterns, hits);
        MatchAi(facts, patterns, policy, path, hits);
        WebDetectors.Run(facts, patterns.Web, hits);
        var secrets = Bounded(TextDetectors.FindSecrets(source, patterns.Secrets), out var secretSearchStopped);
        foreach (var s in secrets)
        {
            hits.Add(Hit(s.Rule, $"{s.Title} hard-coded in the source: {s.Redacted}", s.Line, s.Column, s.PatternId,
                patterns.Questions.GetValueOrDefault(s.Rule, ""), [new("redacted", s.Redacted), new("pattern", s.PatternId)]));
        }

        var distinct = hits
            .GroupBy(h => (h.Rule, h.Line, h.Column))
            .Select(g => g.First())
            .OrderBy(h => h.Line).ThenBy(h => h.Column).ThenBy(h => h.Rule, StringComparer.Ordinal)
            .ToList();
        return new CodeReviewResult(distinct, module.Errors.Count, module.Errors) { DepthLimitReached = module.DepthLimitReached, SecretSearchStopped = secretSearchStopped };
    }

    /// <summary>
    /// The hits of a text search up to the point where a pattern exceeded its time limit (a hostile or minified line
    /// thousands of characters long): <paramref name="stopped"/> then says so, for a limit finding, never a crash.
    /// </summary>
    internal static List<TextHit> Bounded(IEnumerable<TextHit> search, out string? stopped)
    {
        ArgumentNullException.ThrowIfNull(search);
        var hits = new List<TextHit>();
        stopped = null;
        try
        {
            foreach (var hit in search)
            {
                hits.Add(hit);
            }
        }
        catch (RegexMatchTimeoutException e)
        {
            stopped = $"a pattern ran out of time ({e.MatchTimeout.TotalSeconds:0.#} s) on a line of {e.Input.Length:N0} characters";
        }

        return hits;
    }

    internal static CodeHit Hit(string rule, string message, int line, int column, string name, string question, IEnumerable<KeyValuePair<string, string>>? properties = null)
    {
        var props = (properties ?? []).ToImmutableSortedDictionary(StringComparer.Ordinal).SetItem("name", name);
        if (question.Length > 0)
        {
            props = props.SetItem("question", question);
        }

        return new CodeHit(rule, message, line, column, name, question, props);
    }

    private static void MatchCalls(PyFacts facts, CodePatterns patterns, List<CodeHit> hits)
    {
        foreach (var site in facts.Calls)
        {
            foreach (var pattern in patterns.Calls)
            {
                if (!pattern.Calls.Any(g => g.IsMatch(site.Target)) || pattern.Except.Any(g => g.IsMatch(site.Target)))
                {
                    continue;
                }

                string? argText = null;
                PyValue? argValue = null;
                var all = true;
                // {arg} and {value} name the argument the finding is about, never a flag beside it: for
                // subprocess.run(cmd, shell=True) that is cmd, not the True of shell=.
                // The subject is the first argument given that a non-flag test is about (source= of torch.hub.load is
                // usually absent: the repository is the subject then), else the first argument given.
                var subjectRank = int.MaxValue;
                foreach (var condition in pattern.All)
                {
                    var (state, expr) = Argument(site.Call, condition);
                    var value = expr is null ? null : PyFacts.Eval(expr, site.Scope, site.Guarded);
                    var rank = FlagTests.Contains(condition.Test) ? 1 : 0;
                    if (expr is not null && rank < subjectRank)
                    {
                        subjectRank = rank;
                        argText = PyFacts.Render(expr, 40);
                        argValue = value;
                    }

                    if (!Holds(condition, state, expr, value, site.Scope))
                    {
                        all = false;
                        break;
                    }
                }

                if (!all)
                {
                    continue;
                }

                var values = new Dictionary<string, string>(StringComparer.Ordinal)
                {
                    ["target"] = site.Target,
                    ["call"] = PyFacts.Render(site.Call),
                    ["arg"] = argText ?? "",
                    ["value"] = argValue?.Describe() ?? "",
                };
                hits.Add(Hit(pattern.Rule, Fill(pattern.Message, values), site.Call.At.Line, site.Call.At.Column, site.Target, Fill(pattern.Question, values),
                    [new("pattern", pattern.Id), new("value-kind", argValue?.Kind.ToString() ?? "none")]));
            }
        }
    }

    /// <summary>Tests on a switch argument (shell=True, weights_only, revision): what a finding reports is another argument.</summary>
    private static readonly HashSet<string> FlagTests = new(StringComparer.Ordinal) { "true", "not-true", "false", "missing", "not-commit-sha" };

    private static string Fill(string template, Dictionary<string, string> values) =>
        Regex.Replace(template, @"\{(\w+)\}", m => values.TryGetValue(m.Groups[1].Value, out var v) ? v : m.Value, RegexOptions.None, TimeSpan.FromSeconds(1));

    private enum ArgState
    {
        Missing,
        Present,
        Unknown,
    }

    private static (ArgState State, Expr? Value) Argument(CallExpr call, ArgCondition condition)
    {
        if (condition.Keyword is { } keyword && call.Args.FirstOrDefault(a => a.Keyword == keyword) is { } k)
        {
            return (ArgState.Present, k.Value);
        }

        if (condition.Position is { } position)
        {
            var index = 0;
            foreach (var arg in call.Args)
            {
                if (arg.Star == 1)
                {
                    return (ArgState.Unknown, null);
                }

                if (arg.Keyword is null && arg.Star == 0)
                {
                    if (index == position)
                    {
                        return (ArgState.Present, arg.Value);
                    }

                    index++;
                }
            }
        }

        return call.Args.Any(a => a.Star == 2) ? (ArgState.Unknown, null) : (ArgState.Missing, null);
    }

    private static bool Holds(ArgCondition condition, ArgState state, Expr? expr, PyValue? value, Scope scope)
    {
        var present = state == ArgState.Present;
        var missing = state == ArgState.Missing;
        bool IsIn() => present && (condition.Values.Contains(PyFacts.Qualify(expr!, scope) ?? "\0", StringComparer.Ordinal)
            || (value!.IsConstant && condition.Values.Contains(value.Text ?? "\0", StringComparer.Ordinal)));
        return condition.Test switch
        {
            "missing" => missing,
            "present" => present,
            "true" => present && value is { Kind: ValueKind.Constant, Text: "True" },
            "not-true" => missing || (present && value is not { Kind: ValueKind.Constant, Text: "True" }),
            "false" => present && value is { Kind: ValueKind.Constant, Text: "False" or "0" },
            "not-constant" => present && !value!.IsConstant,
            "not-repo-constant" => present && !InRepo(value!),
            "formatted-or-input" => present && value!.Kind is ValueKind.Formatted or ValueKind.Parameter or ValueKind.External,
            "constant-string" => present && value is { Kind: ValueKind.ConstantString, Text.Length: > 0 } && !TextDetectors.IsPlaceholder(value.Text),
            "in" => IsIn(),
            "not-in" => missing || (present && !IsIn()),
            "not-commit-sha" => missing || (present && !(value is { Kind: ValueKind.ConstantString } && CommitSha.IsMatch(value.Text!))),
            "not-local-path" => present && !(value is { Kind: ValueKind.ConstantString } v && IsLocalPath(v.Text!)),
            // pipeline(task) loads the task's default hub model; model= a loaded model object or a local folder is no download.
            "hub-model-or-missing" => missing || (present && value!.Kind != ValueKind.CallResult && !(value is { Kind: ValueKind.ConstantString } lv && IsLocalPath(lv.Text!))),
            "all-interfaces" => present && AllInterfaces(value!),
            "hub-repo-unpinned" => present && value is { Kind: ValueKind.ConstantString } repo && HubRepoUnpinned(repo.Text!),
            "url-with-credentials" => present && value is { Kind: ValueKind.ConstantString } u && UrlCredentials.IsMatch(u.Text!),
            _ => false,
        };
    }

    /// <summary>A constant relative path that stays inside the repository (or a file opened from one).</summary>
    internal static bool InRepo(PyValue value)
    {
        if (value.Kind == ValueKind.OpenFile)
        {
            return value.Inner is not null && InRepo(value.Inner);
        }

        if (value.Kind != ValueKind.ConstantString || string.IsNullOrWhiteSpace(value.Text))
        {
            return false;
        }

        var p = value.Text.Replace('\\', '/');
        if (p.StartsWith('/') || p.StartsWith('~') || p.Contains("://", StringComparison.Ordinal) || (p.Length > 1 && p[1] == ':'))
        {
            return false;
        }

        var depth = 0;
        foreach (var segment in p.Split('/'))
        {
            depth += segment switch { ".." => -1, "" or "." => 0, _ => 1 };
            if (depth < 0)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>An address that listens on every interface: "0.0.0.0", "::", "" — written, or the default of an option or variable.</summary>
    private static bool AllInterfaces(PyValue value) =>
        value is { Kind: ValueKind.ConstantString, Text: "0.0.0.0" or "::" or "[::]" or "0" }
        || (value.Kind == ValueKind.External && value.Inner is { } fallback && AllInterfaces(fallback));

    /// <summary>A torch.hub GitHub reference ("owner/repo" or "owner/repo:ref") whose ref is absent or a branch, not a commit or release tag.</summary>
    private static bool HubRepoUnpinned(string repo)
    {
        var colon = repo.IndexOf(':', StringComparison.Ordinal);
        if (colon < 0)
        {
            return true;
        }

        var reference = repo[(colon + 1)..];
        return !(CommitSha.IsMatch(reference) || ReleaseTag.IsMatch(reference));
    }

    private static readonly Regex ReleaseTag = new(@"^v?[0-9]+(?:\.[0-9]+)+(?:[-.]?[A-Za-z0-9]+)?$|^[0-9a-f]{7,40}$", RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));

    private static bool IsLocalPath(string text) =>
        text.StartsWith('.') || text.StartsWith('/') || text.StartsWith('~') || text.Contains('\\', StringComparison.Ordinal) || text.Split('/').Length > 2;

    private static void MatchReferences(PyFacts facts, CodePatterns patterns, List<CodeHit> hits)
    {
        foreach (var reference in facts.References)
        {
            foreach (var pattern in patterns.References.Where(p => p.Names.Contains(reference.Name, StringComparer.Ordinal)))
            {
                var values = new Dictionary<string, string>(StringComparer.Ordinal) { ["target"] = reference.Name };
                hits.Add(Hit(pattern.Rule, Fill(pattern.Message, values), reference.At.Line, reference.At.Column, reference.Name, Fill(pattern.Question, values),
                    [new("pattern", pattern.Id)]));
            }
        }
    }

    private static void MatchEnvironment(PyFacts facts, CodePatterns patterns, List<CodeHit> hits)
    {
        foreach (var assignment in facts.Environment)
        {
            if (assignment.Value is not { Kind: ValueKind.ConstantString, Text.Length: > 0 } value || TextDetectors.IsPlaceholder(value.Text))
            {
                continue;
            }

            foreach (var pattern in patterns.Environment.Where(p => p.Names.Contains(assignment.Name, StringComparer.Ordinal)))
            {
                var redacted = TextDetectors.Redact(value.Text!, 2);
                var values = new Dictionary<string, string>(StringComparer.Ordinal) { ["target"] = assignment.Name, ["value"] = redacted };
                hits.Add(Hit(pattern.Rule, Fill(pattern.Message, values), assignment.At.Line, assignment.At.Column, assignment.Name, Fill(pattern.Question, values),
                    [new("pattern", pattern.Id), new("redacted", redacted)]));
            }
        }
    }

    private static void MatchAi(PyFacts facts, CodePatterns patterns, ScanPolicy policy, string path, List<CodeHit> hits)
    {
        var dataClass = policy.CodeDataClassFor(path);
        // A client constructor matched by a provider's calls (openai.AzureOpenAI) claims its module for that
        // provider, so the import of the openai package is not also reported as OpenAI.
        var claimed = patterns.AiProviders
            .SelectMany(p => facts.Calls.Where(c => p.Calls.Any(g => g.IsMatch(c.Target))).Select(c => c.Target.Split('.')[0]))
            .ToHashSet(StringComparer.Ordinal);
        foreach (var provider in patterns.AiProviders)
        {
            var uses = new List<(Pos At, string How)>();
            foreach (var site in facts.Calls)
            {
                var sdk = provider.Modules.Any(m => site.Target.StartsWith(m + ".", StringComparison.Ordinal)) && !claimed.Contains(site.Target.Split('.')[0])
                    || provider.Calls.Any(g => site.Target.StartsWith(g.Pattern + "()", StringComparison.Ordinal));
                if (sdk && site.Call.Args.Select(a => WebDetectors.DataMention(a.Value, site.Scope, patterns.Web, 0)).FirstOrDefault(x => x is not null) is { } what)
                {
                    hits.Add(Hit(patterns.AiDataClassRule, $"{site.Target} sends {what} to {provider.Title}: dataset rows leave for an external AI service",
                        site.Call.At.Line, site.Call.At.Column, provider.Name, patterns.AiQuestion.Replace("{target}", provider.Title, StringComparison.Ordinal),
                        [new("provider", provider.Name), new("data", what)]));
                }
            }

            foreach (var (module, at) in facts.Imports)
            {
                if (provider.Modules.Any(m => module == m || module.StartsWith(m + ".", StringComparison.Ordinal)) && !claimed.Contains(module.Split('.')[0]))
                {
                    uses.Add((at, $"imports the {provider.Title} SDK ({module})"));
                }
            }

            foreach (var site in facts.Calls)
            {
                if (provider.Calls.Any(g => g.IsMatch(site.Target)))
                {
                    uses.Add((site.Call.At, $"calls {site.Target}"));
                }
            }

            foreach (var literal in facts.Strings)
            {
                foreach (Match m in UrlHost.Matches(literal.Value))
                {
                    if (provider.Hosts.Any(h => h.IsMatch(m.Groups[1].Value.ToLowerInvariant())))
                    {
                        uses.Add((literal.At, $"calls the {provider.Title} API at {m.Groups[1].Value}"));
                    }
                }
            }

            var approval = policy.CodeAiProviders.FirstOrDefault(p => string.Equals(p.Name, provider.Name, StringComparison.OrdinalIgnoreCase));
            foreach (var (at, how) in uses.DistinctBy(u => u.At))
            {
                var values = new Dictionary<string, string>(StringComparer.Ordinal) { ["target"] = provider.Title };
                var props = new List<KeyValuePair<string, string>> { new("provider", provider.Name), new("data-class", dataClass) };
                if (approval is null)
                {
                    var why = policy.CodeAiProviders.IsDefaultOrEmpty
                        ? "no AI provider is approved in the policy (code.ai.providers)"
                        : $"{provider.Name} is not among the approved providers ({string.Join(", ", policy.CodeAiProviders.Select(p => p.Name))})";
                    hits.Add(Hit(patterns.AiRule, $"the code {how}: {why}", at.Line, at.Column, provider.Name, Fill(patterns.AiQuestion, values), props));
                }
                else if (!approval.DataClasses.IsDefaultOrEmpty && !approval.DataClasses.Contains(dataClass, StringComparer.OrdinalIgnoreCase))
                {
                    hits.Add(Hit(patterns.AiDataClassRule,
                        $"the code {how}: {provider.Name} is approved for data classes {string.Join(", ", approval.DataClasses)}, but this file handles '{dataClass}' data",
                        at.Line, at.Column, provider.Name, Fill(patterns.AiQuestion, values), props));
                }
            }
        }
    }
}
