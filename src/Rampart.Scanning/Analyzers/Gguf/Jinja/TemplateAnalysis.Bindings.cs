namespace Rampart.Scanning.Analyzers.Gguf.Jinja;

/// <summary>Bindings (flow-insensitive): every value each name, loop variable, macro argument and namespace attribute is ever given.</summary>
internal sealed partial class TemplateAnalysis
{
    private readonly Dictionary<string, List<Func<JValue>>> _bindings = new(StringComparer.Ordinal);
    private readonly Dictionary<string, JValue> _memo = new(StringComparer.Ordinal);
    private readonly HashSet<string> _evaluating = new(StringComparer.Ordinal);
    private readonly Dictionary<string, MacroStmt> _macros = new(StringComparer.Ordinal);

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
}
