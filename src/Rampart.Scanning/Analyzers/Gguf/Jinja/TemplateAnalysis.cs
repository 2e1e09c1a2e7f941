using System.Collections.Immutable;

namespace Rampart.Scanning.Analyzers.Gguf.Jinja;

/// <summary>What the analysis found; each kind maps to one rule.</summary>
internal enum TemplateIssueKind
{
    /// <summary>A dunder or interpreter-internal attribute written literally (RAMP-GGUF-010).</summary>
    InternalAttribute,

    /// <summary>A name assembled at render time that evaluates to a dunder, internal, module or dangerous name (RAMP-GGUF-011).</summary>
    BuiltName,

    /// <summary>An attribute name computed at render time that cannot be folded (RAMP-GGUF-012).</summary>
    ComputedName,

    /// <summary>Reach-through of Jinja's globals or a web framework's server objects (RAMP-GGUF-013).</summary>
    GlobalReach,

    /// <summary>include / import / from / extends (RAMP-GGUF-014).</summary>
    TemplateLoad,

    /// <summary>A module name or a process / eval-like callable (RAMP-GGUF-015).</summary>
    DangerousCall,
}

internal sealed record TemplateIssue(TemplateIssueKind Kind, string Message, int Line, int Column, string Name);

/// <summary>
/// Walks a Jinja syntax tree and reports what an unsandboxed renderer would let the template reach: dunder and
/// internal attributes (written literally or assembled at render time and found by constant folding through
/// variables, loops, macros, concatenation, joins, formatting, replacement, reversal and slices), attribute names
/// that cannot be folded, reach-through of Jinja's global callables, template loading, and process or eval-like calls.
/// Flow-insensitive: every value a name is ever given counts as a possible value everywhere.
/// </summary>
internal sealed class TemplateAnalysis
{
    /// <summary>Most issues reported for one template.</summary>
    public const int MaxIssues = 50;

    /// <summary>Jinja globals whose attributes lead to Python internals (function globals, the jinja2 module).</summary>
    public static readonly ImmutableHashSet<string> JinjaGlobals = ["cycler", "joiner", "namespace", "lipsum", "range", "dict", "self"];

    /// <summary>Objects a web framework puts into templates (Flask-style SSTI targets); a chat template never needs them.</summary>
    public static readonly ImmutableHashSet<string> ServerObjects = ["request", "config", "session", "g", "url_for", "get_flashed_messages", "application"];

    /// <summary>Module names whose reach means code execution or file access.</summary>
    public static readonly ImmutableHashSet<string> ModuleNames =
        ["os", "subprocess", "sys", "builtins", "__builtins__", "importlib", "posix", "nt", "pty", "shutil", "socket", "ctypes",
         "pickle", "marshal", "runpy", "commands", "multiprocessing", "codeop", "pdb", "timeit", "popen2", "pathlib"];

    /// <summary>Callables that run processes, evaluate code, load modules or touch files.</summary>
    public static readonly ImmutableHashSet<string> DangerousCallables =
        ["eval", "exec", "execfile", "compile", "__import__", "import_module", "system", "popen", "Popen", "popen2", "popen3",
         "spawnl", "spawnle", "spawnlp", "spawnlpe", "spawnv", "spawnve", "spawnvp", "spawnvpe", "execl", "execle", "execlp",
         "execlpe", "execv", "execve", "execvp", "execvpe", "check_output", "check_call", "getoutput", "getstatusoutput",
         "run_path", "run_module", "load_module", "fork", "forkpty", "posix_spawn", "posix_spawnp", "remove", "unlink",
         "rmdir", "removedirs", "rmtree", "kill", "killpg", "open", "read_text", "write_text", "read_bytes", "write_bytes",
         "globals", "locals", "vars", "getattr", "setattr", "delattr", "breakpoint", "input", "exit", "quit", "loads", "load",
         "mkdir", "makedirs", "mknod", "rename", "chmod", "chown", "symlink", "putenv"];

    /// <summary>Attributes that lead from an object to frames, code and globals (what Jinja's sandbox calls internal).</summary>
    public static readonly ImmutableHashSet<string> InternalNames =
        ["func_globals", "func_code", "func_closure", "func_dict", "func_defaults", "gi_frame", "gi_code", "gi_yieldfrom",
         "cr_frame", "cr_code", "cr_await", "ag_frame", "ag_code", "ag_await", "f_globals", "f_locals", "f_builtins", "f_back",
         "f_code", "tb_frame", "tb_next", "co_code", "im_func", "im_self", "im_class", "mro"];

    private readonly List<TemplateIssue> _issues = [];
    private readonly HashSet<(TemplateIssueKind, string, int, int)> _seen = [];
    private readonly Dictionary<string, List<Func<JValue>>> _bindings = new(StringComparer.Ordinal);
    private readonly Dictionary<string, JValue> _memo = new(StringComparer.Ordinal);
    private readonly HashSet<string> _evaluating = new(StringComparer.Ordinal);
    private readonly Dictionary<string, MacroStmt> _macros = new(StringComparer.Ordinal);
    private readonly CancellationToken _cancellationToken;

    private TemplateAnalysis(CancellationToken cancellationToken)
    {
        _cancellationToken = cancellationToken;
    }

    public static IReadOnlyList<TemplateIssue> Analyze(TemplateNode template, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(template);
        var analysis = new TemplateAnalysis(cancellationToken);
        analysis.CollectBindings(template);
        analysis.Check(template);
        return analysis._issues;
    }

    // ---- classification ---------------------------------------------------------------------------------------

    private static bool IsDunder(string name) => name.Length > 4 && name.StartsWith("__", StringComparison.Ordinal) && name.EndsWith("__", StringComparison.Ordinal);

    /// <summary>Why a name used as an attribute or key is dangerous, or null.</summary>
    private static string? Danger(string name, bool attribute)
    {
        if (IsDunder(name))
        {
            return "dunder attribute";
        }

        if (InternalNames.Contains(name))
        {
            return "interpreter-internal attribute";
        }

        if (attribute && name.StartsWith('_'))
        {
            return "private attribute";
        }

        return ModuleNames.Contains(name) ? "module" : null;
    }

    // ---- bindings (flow-insensitive) --------------------------------------------------------------------------

    private void Bind(string name, Func<JValue> value)
    {
        if (!_bindings.TryGetValue(name, out var list))
        {
            _bindings[name] = list = [];
        }

        if (list.Count < 64)
        {
            list.Add(value);
        }
    }

    private void BindTarget(Expr target, Func<JValue> value)
    {
        switch (target)
        {
            case NameExpr n:
                Bind(n.Name, value);
                break;
            case GetattrExpr { Target: NameExpr ns } a:
                Bind(ns.Name + "." + a.Attribute, value);
                break;
            case TupleExpr t:
                for (var i = 0; i < t.Items.Count; i++)
                {
                    var index = i;
                    BindTarget(t.Items[i], () => JValues.Lift(value(), v => v is JList l && index < l.Items.Length ? l.Items[index] : JValue.Unknown));
                }

                break;
        }
    }

    private void CollectBindings(JinjaNode node)
    {
        _cancellationToken.ThrowIfCancellationRequested();
        switch (node)
        {
            case SetStmt s:
                BindTarget(s.Target, () => Fold(s.Value));
                if (s.Target is NameExpr ns && s.Value is CallExpr { Function: NameExpr { Name: "namespace" } } nc)
                {
                    foreach (var (key, value) in nc.Args.Keywords)
                    {
                        Bind(ns.Name + "." + key, () => Fold(value));
                    }
                }

                break;
            case SetBlockStmt sb:
                BindTarget(sb.Target, () => FoldBody(sb.Body, sb.Filter));
                break;
            case ForStmt f:
                BindTarget(f.Target, () => JValues.Lift(Fold(f.Iterable), v => JValues.Items(v) is { } items ? JValues.Any(items.Select(JValues.MarkBuilt)) : JValue.Unknown));
                Bind("loop", () => JValue.Unknown);
                break;
            case WithStmt w:
                foreach (var (target, value) in w.Assignments)
                {
                    BindTarget(target, () => Fold(value));
                }

                break;
            case MacroStmt m:
                _macros[m.Name] = m;
                Bind(m.Name, () => JValue.Unknown);
                foreach (var (name, dflt) in m.Parameters)
                {
                    Bind(name, dflt is null ? () => JValue.Unknown : () => JValues.MarkBuilt(Fold(dflt)));
                }

                break;
            case CallBlockStmt cb:
                foreach (var (name, _) in cb.Parameters)
                {
                    Bind(name, () => JValue.Unknown);
                }

                break;
            case LoadStmt l:
                foreach (var name in l.Names)
                {
                    Bind(name, () => JValue.Unknown);
                }

                break;
            case CallExpr { Function: NameExpr callee } call:
                // Macro parameters take the values of every call site's arguments.
                CollectMacroArguments(callee.Name, call.Args);
                break;
        }

        foreach (var child in node.Children)
        {
            CollectBindings(child);
        }
    }

    private void CollectMacroArguments(string macroName, Arguments args)
    {
        // Macros may be defined after they are called in the text; resolve lazily at fold time.
        for (var i = 0; i < args.Positional.Count; i++)
        {
            var index = i;
            var arg = args.Positional[i];
            Bind("#macro-arg:" + macroName + ":" + index, () => JValues.MarkBuilt(Fold(arg)));
        }

        foreach (var (name, value) in args.Keywords)
        {
            Bind("#macro-kw:" + macroName + ":" + name, () => JValues.MarkBuilt(Fold(value)));
        }
    }

    private JValue Lookup(string name)
    {
        if (_memo.TryGetValue(name, out var known))
        {
            return known;
        }

        if (!_evaluating.Add(name))
        {
            return JValue.Unknown;
        }

        try
        {
            var values = new List<JValue>();
            if (_bindings.TryGetValue(name, out var list))
            {
                values.AddRange(list.Select(f => JValues.MarkBuilt(f())));
            }

            foreach (var macro in _macros.Values)
            {
                var index = macro.Parameters.ToList().FindIndex(p => p.Name == name);
                if (index < 0)
                {
                    continue;
                }

                if (_bindings.TryGetValue("#macro-arg:" + macro.Name + ":" + index, out var positional))
                {
                    values.AddRange(positional.Select(f => f()));
                }

                if (_bindings.TryGetValue("#macro-kw:" + macro.Name + ":" + name, out var keyword))
                {
                    values.AddRange(keyword.Select(f => f()));
                }
            }

            var result = values.Count == 0 ? JValue.Unknown : JValues.Any(values);
            _memo[name] = result;
            return result;
        }
        finally
        {
            _evaluating.Remove(name);
        }
    }

    private bool IsBound(string name) => _bindings.ContainsKey(name);

    // ---- folding ----------------------------------------------------------------------------------------------

    private JValue FoldBody(IReadOnlyList<Stmt> body, FilterExpr? filter)
    {
        JValue text = new JStr("", true);
        foreach (var stmt in body)
        {
            JValue part = stmt switch
            {
                TextStmt t => new JStr(t.Text, true),
                OutputStmt o => Fold(o.Value),
                _ => new JUnknown(true),
            };
            text = JValues.Lift(text, part, (a, b) => JValues.String(JValues.Str(a) is { } x && JValues.Str(b) is { } y ? x + y : null));
        }

        return filter is null ? text : ApplyFilterChain(text, filter);
    }

    private JValue ApplyFilterChain(JValue input, FilterExpr filter)
    {
        var value = filter.Input is FilterExpr inner ? ApplyFilterChain(input, inner) : input;
        return FoldFilter(value, filter);
    }

    private JValue Fold(Expr expr)
    {
        _cancellationToken.ThrowIfCancellationRequested();
        switch (expr)
        {
            case ConstExpr c:
                return c.Value switch
                {
                    string s => new JStr(s, false),
                    long l => new JNum(l, true, false),
                    double d => new JNum(d, false, false),
                    bool b => new JBool(b, false),
                    _ => new JNone(false),
                };
            case NameExpr n:
                return IsBound(n.Name) ? Lookup(n.Name) : JValue.Unknown;
            case ListExpr l:
                return l.Items.Count > JValues.MaxList ? JValue.Unknown : new JList([.. l.Items.Select(Fold)], false);
            case TupleExpr t:
                return t.Items.Count > JValues.MaxList ? JValue.Unknown : new JList([.. t.Items.Select(Fold)], false);
            case DictExpr d:
                var builder = ImmutableDictionary.CreateBuilder<string, JValue>(StringComparer.Ordinal);
                foreach (var (k, v) in d.Pairs)
                {
                    if (Fold(k) is JStr key)
                    {
                        builder[key.Value] = Fold(v);
                    }
                }

                return new JDict(builder.ToImmutable(), false);
            case ConcatExpr c:
                var acc = (JValue)new JStr("", true);
                foreach (var item in c.Items)
                {
                    acc = JValues.Lift(acc, Fold(item), (a, b) => JValues.String(JValues.Str(a) is { } x && JValues.Str(b) is { } y ? x + y : null));
                }

                return JValues.MarkBuilt(acc);
            case BinaryExpr b:
                return FoldBinary(b);
            case UnaryExpr { Operator: "-" or "+" } u:
                return JValues.Lift(Fold(u.Operand), v => v is JNum n ? new JNum(u.Operator == "-" ? -n.Value : n.Value, n.IsInteger, n.Built) : JValue.Unknown);
            case CondExpr c:
                return JValues.Any([Fold(c.Then), c.Otherwise is null ? new JNone(false) : Fold(c.Otherwise)]);
            case GetattrExpr { Target: NameExpr ns } a when IsBound(ns.Name + "." + a.Attribute):
                return Lookup(ns.Name + "." + a.Attribute);
            case GetitemExpr g:
                return FoldGetitem(g);
            case FilterExpr f:
                return FoldFilter(f.Input is null ? JValue.Unknown : Fold(f.Input), f);
            case CallExpr call:
                return FoldCall(call);
            default:
                return JValue.Unknown;
        }
    }

    private JValue FoldBinary(BinaryExpr b)
    {
        if (b.Operator is "and" or "or")
        {
            return JValue.Unknown;
        }

        var left = Fold(b.Left);
        var right = Fold(b.Right);
        return JValues.Lift(left, right, (x, y) => (b.Operator, x, y) switch
        {
            ("+", JStr s, JStr t) => JValues.String(s.Value + t.Value),
            ("+", JNum m, JNum n) => new JNum(m.Value + n.Value, m.IsInteger && n.IsInteger, true),
            ("+", JList m, JList n) => new JList(m.Items.AddRange(n.Items), true),
            ("+", JStr or JUnknown { Built: true }, _) or ("+", _, JStr or JUnknown { Built: true }) => JValue.UnknownBuilt,
            ("%", JStr s, _) => JValues.Percent(s.Value, y),
            ("%", JUnknown { Built: true }, _) => JValue.UnknownBuilt,
            ("*", JStr s, JNum { IsInteger: true } n) when n.Value is >= 0 and <= 64 => JValues.String(string.Concat(Enumerable.Repeat(s.Value, (int)n.Value))),
            ("-", JNum m, JNum n) => new JNum(m.Value - n.Value, m.IsInteger && n.IsInteger, true),
            ("*", JNum m, JNum n) => new JNum(m.Value * n.Value, m.IsInteger && n.IsInteger, true),
            _ => JValue.Unknown,
        });
    }

    private JValue FoldGetitem(GetitemExpr g)
    {
        var target = Fold(g.Target);
        if (g.Key is SliceExpr slice)
        {
            var start = slice.Start is null ? null : Fold(slice.Start) as JNum;
            var stop = slice.Stop is null ? null : Fold(slice.Stop) as JNum;
            var step = slice.Step is null ? null : Fold(slice.Step) as JNum;
            if ((slice.Start is not null && start is null) || (slice.Stop is not null && stop is null) || (slice.Step is not null && step is null))
            {
                return JValues.Lift(target, t => new JUnknown(t is JStr || t.Built));
            }

            return JValues.Lift(target, t => JValues.Slice(t, (long?)start?.Value, (long?)stop?.Value, (long?)step?.Value));
        }

        var key = Fold(g.Key);
        return JValues.Lift(target, key, (t, k) => (t, k) switch
        {
            (JStr or JList, JNum { IsInteger: true } i) => JValues.Index(t, (long)i.Value),
            (JDict d, JStr s) => d.Items.TryGetValue(s.Value, out var v) ? JValues.MarkBuilt(v) : JValue.Unknown,
            _ => JValue.Unknown,
        });
    }

    private JValue FoldFilter(JValue input, FilterExpr f)
    {
        var args = f.Args.Positional.Select(Fold).ToList();
        string? StrArg(int i) => i < args.Count ? JValues.Str(args[i]) : null;
        switch (f.Name)
        {
            case "join":
                var separator = f.Args.Keyword("d") is { } d ? JValues.Str(Fold(d)) : args.Count > 0 ? StrArg(0) : "";
                if (separator is null || f.Args.Keyword("attribute") is not null)
                {
                    return JValue.UnknownBuilt;
                }

                return JValues.Lift(input, v => JValues.Join(v, separator));
            case "format":
                return JValues.Lift(input, v => v is JStr s ? JValues.Percent(s.Value, new JList([.. args], true)) : JValue.UnknownBuilt);
            case "replace":
                if (StrArg(0) is not { } old || StrArg(1) is not { } replacement)
                {
                    return JValue.UnknownBuilt;
                }

                return JValues.Lift(input, v => v is JStr s ? JValues.String(old.Length == 0 ? null : s.Value.Replace(old, replacement, StringComparison.Ordinal)) : JValue.UnknownBuilt);
            case "reverse":
                return JValues.Lift(input, v => v switch
                {
                    JStr s => new JStr(new string([.. s.Value.Reverse()]), true),
                    JList l => new JList([.. l.Items.Reverse()], true),
                    _ => JValue.UnknownBuilt,
                });
            case "lower" or "upper" or "capitalize" or "title" or "trim" or "string" or "safe" or "e" or "escape" or "striptags":
                return JValues.Lift(input, v => v is JStr s ? new JStr(f.Name switch
                {
                    "lower" => s.Value.ToLowerInvariant(),
                    "upper" => s.Value.ToUpperInvariant(),
                    "capitalize" => s.Value.Length == 0 ? s.Value : char.ToUpperInvariant(s.Value[0]) + s.Value[1..].ToLowerInvariant(),
                    "trim" => s.Value.Trim(),
                    _ => s.Value,
                }, true) : JValues.Str(v) is { } text && f.Name == "string" ? new JStr(text, true) : new JUnknown(v.Built));
            case "list":
                return JValues.Lift(input, v => JValues.Items(v) is { } items ? new JList(items, true) : new JUnknown(v.Built));
            case "first" or "last":
                return JValues.Lift(input, v => JValues.Items(v) is { Length: > 0 } items ? JValues.MarkBuilt(f.Name == "first" ? items[0] : items[^1]) : JValue.Unknown);
            case "default" or "d":
                return JValues.Lift(input, v => v is JUnknown && args.Count > 0 ? JValues.MarkBuilt(args[0]) : v);
            case "sort" or "unique":
                return JValues.Lift(input, v => v is JList l && l.Items.All(i => i is JStr)
                    ? new JList([.. l.Items.Cast<JStr>().Select(s => s.Value).Distinct().Order(StringComparer.Ordinal).Select(s => (JValue)new JStr(s, true))], true)
                    : new JUnknown(v.Built));
            default:
                return JValue.Unknown;
        }
    }

    private JValue FoldCall(CallExpr call)
    {
        if (call.Function is not GetattrExpr method)
        {
            return JValue.Unknown;
        }

        var target = Fold(method.Target);
        var args = call.Args.Positional.Select(Fold).ToList();
        string? StrArg(int i) => i < args.Count ? JValues.Str(args[i]) : null;
        return JValues.Lift(target, t =>
        {
            if (t is not JStr s)
            {
                return new JUnknown(t.Built && method.Attribute is "join" or "format" or "replace");
            }

            return method.Attribute switch
            {
                "join" => args.Count == 1 ? JValues.Lift(args[0], a => JValues.Join(a, s.Value)) : JValue.UnknownBuilt,
                "format" => JValues.Format(s.Value, args, call.Args.Keywords.ToDictionary(k => k.Name, k => Fold(k.Value))),
                "replace" => StrArg(0) is { Length: > 0 } old && StrArg(1) is { } rep ? JValues.String(s.Value.Replace(old, rep, StringComparison.Ordinal)) : JValue.UnknownBuilt,
                "upper" => new JStr(s.Value.ToUpperInvariant(), true),
                "lower" => new JStr(s.Value.ToLowerInvariant(), true),
                "strip" => new JStr(args.Count == 0 ? s.Value.Trim() : StrArg(0) is { } chars ? s.Value.Trim(chars.ToCharArray()) : s.Value, true),
                "lstrip" => new JStr(args.Count == 0 ? s.Value.TrimStart() : StrArg(0) is { } chars ? s.Value.TrimStart(chars.ToCharArray()) : s.Value, true),
                "rstrip" => new JStr(args.Count == 0 ? s.Value.TrimEnd() : StrArg(0) is { } chars ? s.Value.TrimEnd(chars.ToCharArray()) : s.Value, true),
                "title" or "capitalize" or "swapcase" or "casefold" => JValue.UnknownBuilt,
                "split" when StrArg(0) is { Length: > 0 } sep => new JList([.. s.Value.Split(sep).Select(p => (JValue)new JStr(p, true))], true),
                _ => JValue.Unknown,
            };
        });
    }

    // ---- checks -----------------------------------------------------------------------------------------------

    private void Report(TemplateIssueKind kind, JinjaNode at, string name, string message)
    {
        if (_issues.Count < MaxIssues && _seen.Add((kind, name, at.Line, at.Column)))
        {
            _issues.Add(new TemplateIssue(kind, message, at.Line, at.Column, name));
        }
    }

    /// <summary>Checks a name used to reach into an object (attribute or key).</summary>
    private void CheckName(JinjaNode at, JValue value, bool attribute, bool computedIsSuspicious, string how)
    {
        foreach (var option in JValues.Expand(value))
        {
            switch (option)
            {
                case JStr s when Danger(s.Value, attribute) is { } why:
                    var shown = s.Value.Length > 60 ? s.Value[..60] + "..." : s.Value;
                    if (s.Built)
                    {
                        Report(TemplateIssueKind.BuiltName, at, s.Value, $"{how} uses the name '{shown}' ({why}), assembled at render time so that it does not appear literally in the template");
                    }
                    else if (why == "module")
                    {
                        Report(TemplateIssueKind.DangerousCall, at, s.Value, $"{how} reaches the module '{shown}'");
                    }
                    else
                    {
                        Report(TemplateIssueKind.InternalAttribute, at, s.Value, $"{how} accesses the {why} '{shown}'");
                    }

                    break;
                case JUnknown u when u.Built || computedIsSuspicious:
                    Report(TemplateIssueKind.ComputedName, at, "?", $"{how} uses an attribute name computed at render time that cannot be determined from the template");
                    break;
            }
        }
    }

    private static NameExpr? Root(Expr expr) => expr switch
    {
        NameExpr n => n,
        GetattrExpr a => Root(a.Target),
        GetitemExpr g => Root(g.Target),
        FilterExpr { Name: "attr", Input: { } input } => Root(input),
        _ => null,
    };

    private void CheckReach(Expr target, JinjaNode at)
    {
        if (target is NameExpr n && !IsBound(n.Name) && JinjaGlobals.Contains(n.Name))
        {
            Report(TemplateIssueKind.GlobalReach, at, n.Name, $"reaches into the Jinja global '{n.Name}' instead of calling it: its attributes lead to Python function globals and modules");
        }
    }

    private void Check(JinjaNode node)
    {
        _cancellationToken.ThrowIfCancellationRequested();
        switch (node)
        {
            case NameExpr n when !IsBound(n.Name):
                if (ServerObjects.Contains(n.Name) || n.Name == "self")
                {
                    Report(TemplateIssueKind.GlobalReach, n, n.Name, $"refers to '{n.Name}', an object a web framework or Jinja exposes to templates; chat templates never need it");
                }
                else if (ModuleNames.Contains(n.Name))
                {
                    Report(TemplateIssueKind.DangerousCall, n, n.Name, $"refers to the module name '{n.Name}'");
                }

                break;
            case GetattrExpr a:
                CheckReach(a.Target, a);
                CheckName(a, new JStr(a.Attribute, false), attribute: true, computedIsSuspicious: false, $"'.{a.Attribute}'");
                break;
            case GetitemExpr g when g.Key is not SliceExpr:
                CheckReach(g.Target, g);
                CheckName(g, Fold(g.Key), attribute: false, computedIsSuspicious: false, "a subscript");
                break;
            case FilterExpr { Name: "attr" } f:
                if (f.Input is not null)
                {
                    CheckReach(f.Input, f);
                }

                CheckName(f, f.Args.Positional.Count > 0 ? Fold(f.Args.Positional[0]) : JValue.UnknownBuilt, attribute: true, computedIsSuspicious: f.Args.Positional.Count == 0 || f.Args.Positional[0] is not ConstExpr, "the 'attr' filter");
                break;
            case FilterExpr { Name: "map" or "selectattr" or "rejectattr" or "groupby" or "sort" or "sum" or "unique" or "min" or "max" } f:
                CheckAttributeArgument(f);
                break;
            case CallExpr call:
                CheckCall(call);
                break;
            case LoadStmt l:
                Report(TemplateIssueKind.TemplateLoad, l, l.Tag, $"'{{% {l.Tag} %}}' asks the renderer to load another template (from its loader: files or whatever it was configured with)");
                break;
        }

        foreach (var child in node.Children)
        {
            Check(child);
        }
    }

    private void CheckAttributeArgument(FilterExpr f)
    {
        Expr? attribute = f.Args.Keyword("attribute");
        if (attribute is null && f.Name is "selectattr" or "rejectattr" or "groupby" && f.Args.Positional.Count > 0)
        {
            attribute = f.Args.Positional[0];
        }

        if (f.Name == "map" && f.Args.Positional.Count > 0 && Fold(f.Args.Positional[0]) is JStr { Value: "attr" })
        {
            attribute = f.Args.Positional.Count > 1 ? f.Args.Positional[1] : null;
        }

        if (attribute is null)
        {
            return;
        }

        var value = Fold(attribute);
        foreach (var option in JValues.Expand(value))
        {
            if (option is JStr s)
            {
                foreach (var part in s.Value.Split('.'))
                {
                    CheckName(f, new JStr(part, s.Built || attribute is not ConstExpr), attribute: true, computedIsSuspicious: false, $"the '{f.Name}' filter's attribute");
                }
            }
            else
            {
                CheckName(f, option, attribute: true, computedIsSuspicious: true, $"the '{f.Name}' filter's attribute");
            }
        }
    }

    private void CheckCall(CallExpr call)
    {
        JValue callee = call.Function switch
        {
            NameExpr n when !IsBound(n.Name) => new JStr(n.Name, false),
            GetattrExpr a => new JStr(a.Attribute, false),
            GetitemExpr g when g.Key is not SliceExpr => Fold(g.Key),
            FilterExpr { Name: "attr" } f when f.Args.Positional.Count > 0 => Fold(f.Args.Positional[0]),
            _ => JValue.Unknown,
        };
        foreach (var option in JValues.Expand(callee))
        {
            if (option is JStr s && DangerousCallables.Contains(s.Value))
            {
                var kind = s.Built ? TemplateIssueKind.BuiltName : TemplateIssueKind.DangerousCall;
                Report(kind, call, s.Value, $"calls '{s.Value}', a callable that runs processes, evaluates code, loads modules or touches files{(s.Built ? " (its name assembled at render time)" : "")}");
            }
        }

        foreach (var arg in call.Args.Positional)
        {
            foreach (var option in JValues.Expand(Fold(arg)))
            {
                if (option is JStr { Built: true } s && (ModuleNames.Contains(s.Value) || IsDunder(s.Value)))
                {
                    Report(TemplateIssueKind.BuiltName, call, s.Value, $"passes the name '{s.Value}', assembled at render time, to a call");
                }
            }
        }
    }
}
