namespace Rampart.Scanning.Analyzers.Gguf.Jinja;

/// <summary>Checks: walks the tree and reports every reach into internals, template loading and process or eval-like call.</summary>
internal sealed partial class TemplateAnalysis
{
    private readonly List<TemplateIssue> _issues = [];
    private readonly HashSet<(TemplateIssueKind, string, int, int)> _seen = [];

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
