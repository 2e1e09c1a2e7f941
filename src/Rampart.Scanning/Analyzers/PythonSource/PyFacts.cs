using System.Text;

namespace Rampart.Scanning.Analyzers.PythonSource;

internal enum ValueKind
{
    /// <summary>A constant string (known text).</summary>
    ConstantString,

    /// <summary>Another constant (number, True, False, None, bytes).</summary>
    Constant,

    /// <summary>A parameter of the enclosing function.</summary>
    Parameter,

    /// <summary>Command-line arguments, environment, user input, request data.</summary>
    External,

    /// <summary>A string built at run time (f-string with fields, %, .format, + with a non-constant).</summary>
    Formatted,

    /// <summary>A file object from open(path): <see cref="PyValue.Inner"/> is the path.</summary>
    OpenFile,

    /// <summary>The result of a call to <see cref="PyValue.Text"/>.</summary>
    CallResult,

    Unknown,
}

/// <summary>What the analysis knows about the value of an expression.</summary>
internal sealed record PyValue(ValueKind Kind, string? Text = null, PyValue? Inner = null)
{
    public static PyValue Unknown { get; } = new(ValueKind.Unknown);

    public bool IsConstant => Kind is ValueKind.ConstantString or ValueKind.Constant;

    /// <summary>A short description for messages ("the constant 'models/a.pt'", "the parameter 'path'").</summary>
    public string Describe() => Kind switch
    {
        ValueKind.ConstantString => $"the constant '{Shorten(Text ?? "")}'",
        ValueKind.Constant => $"the constant {Text}",
        ValueKind.Parameter => $"the function parameter '{Text}'",
        ValueKind.External => $"external input ({Text})",
        ValueKind.Formatted => "a string built at run time",
        ValueKind.OpenFile => $"a file opened from {Inner?.Describe() ?? "an unknown path"}",
        ValueKind.CallResult => $"the result of {Text}()",
        _ => Text is null ? "a value not known before run time" : $"'{Text}', not known before run time",
    };

    private static string Shorten(string s) => s.Length <= 60 ? s : s[..57] + "...";
}

internal sealed record CallSite(CallExpr Call, string Target, Scope Scope, FunctionDef? Function, IReadOnlyList<FunctionDef> Enclosing);

internal sealed record Reference(string Name, Pos At);

internal sealed record StringLiteral(string Value, Pos At, FunctionDef? Function);

internal sealed record EnvAssignment(string Name, PyValue Value, Pos At);

/// <summary>Names visible in one function (or the module): import aliases, simple bindings, parameters.</summary>
internal sealed class Scope(Scope? parent, FunctionDef? function)
{
    public Scope? Parent { get; } = parent;

    public FunctionDef? Function { get; } = function;

    public Dictionary<string, string> Aliases { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, (Expr Value, Scope Scope)?> Bindings { get; } = new(StringComparer.Ordinal);

    public HashSet<string> Parameters { get; } = new(StringComparer.Ordinal);

    public string? Alias(string name)
    {
        for (var s = this; s is not null; s = s.Parent)
        {
            if (s.Bindings.ContainsKey(name) || s.Parameters.Contains(name))
            {
                return null;
            }

            if (s.Aliases.TryGetValue(name, out var q))
            {
                return q;
            }
        }

        return null;
    }

    /// <summary>The innermost binding of <paramref name="name"/>: a value, a parameter, or nothing known.</summary>
    public (bool Found, bool IsParameter, Expr? Value, Scope? Scope) Lookup(string name)
    {
        for (var s = this; s is not null; s = s.Parent)
        {
            if (s.Parameters.Contains(name) && !s.Bindings.ContainsKey(name))
            {
                return (true, true, null, s);
            }

            if (s.Bindings.TryGetValue(name, out var b))
            {
                return b is { } v ? (true, false, v.Value, v.Scope) : (true, false, null, s);
            }

            if (s.Aliases.ContainsKey(name))
            {
                return (false, false, null, null);
            }
        }

        return (false, false, null, null);
    }
}

/// <summary>
/// Walks a parsed module in source order: resolves names through imports ("from torch import load as L; L(p)" is a
/// call of torch.load), keeps simple bindings per scope for constant propagation, and collects every call, name
/// reference, string literal and os.environ assignment for the rules.
/// </summary>
internal sealed class PyFacts
{
    private const int MaxEvalDepth = 24;

    private readonly List<FunctionDef> _enclosing = [];

    private PyFacts()
    {
        ModuleScope = new Scope(null, null);
    }

    public Scope ModuleScope { get; }

    public List<CallSite> Calls { get; } = [];

    public List<Reference> References { get; } = [];

    public List<StringLiteral> Strings { get; } = [];

    public List<EnvAssignment> Environment { get; } = [];

    public List<(string Module, Pos At)> Imports { get; } = [];

    public List<(FunctionDef Function, Scope Scope)> Functions { get; } = [];

    public static PyFacts Collect(PyModule module, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(module);
        var facts = new PyFacts();
        facts.WalkBody(module.Body, facts.ModuleScope, cancellationToken);
        return facts;
    }

    private void WalkBody(IReadOnlyList<Stmt> body, Scope scope, CancellationToken cancellationToken)
    {
        foreach (var stmt in body)
        {
            cancellationToken.ThrowIfCancellationRequested();
            Walk(stmt, scope, cancellationToken);
        }
    }

    private void Walk(Stmt stmt, Scope scope, CancellationToken cancellationToken)
    {
        switch (stmt)
        {
            case ImportStmt import:
                foreach (var alias in import.Names)
                {
                    Imports.Add((alias.Name, alias.At));
                    if (alias.AsName is { } asName)
                    {
                        scope.Aliases[asName] = alias.Name;
                    }
                    else
                    {
                        var head = alias.Name.Split('.')[0];
                        scope.Aliases[head] = head;
                    }

                    scope.Bindings.Remove(alias.AsName ?? alias.Name.Split('.')[0]);
                }

                break;
            case ImportFromStmt from:
            {
                var module = new string('.', from.Level) + (from.Module ?? "");
                Imports.Add((module, from.At));
                foreach (var alias in from.Names)
                {
                    if (alias.Name == "*")
                    {
                        continue;
                    }

                    var local = alias.AsName ?? alias.Name;
                    scope.Aliases[local] = module.EndsWith('.') ? module + alias.Name : module + "." + alias.Name;
                    scope.Bindings.Remove(local);
                }

                break;
            }

            case AssignStmt assign:
                if (assign.Value is not null)
                {
                    Visit(assign.Value, scope);
                }

                foreach (var target in assign.Targets)
                {
                    Bind(target, assign.Op == "=" || assign.Op == ":" || assign.Op == "type" ? assign.Value : null, scope, assign.At);
                    if (target is not NameExpr)
                    {
                        Visit(target, scope);
                    }
                }

                break;
            case ExprStmt e:
                Visit(e.Value, scope);
                break;
            case ReturnStmt r when r.Value is not null:
                Visit(r.Value, scope);
                break;
            case SimpleStmt s:
                foreach (var child in s.Children)
                {
                    Visit(child, scope);
                }

                break;
            case FunctionDef def:
            {
                foreach (var decorator in def.Decorators)
                {
                    Visit(decorator, scope);
                }

                foreach (var p in def.Params)
                {
                    if (p.Default is not null)
                    {
                        Visit(p.Default, scope);
                    }
                }

                scope.Bindings[def.Name] = null;
                var inner = new Scope(scope, def);
                foreach (var p in def.Params)
                {
                    inner.Parameters.Add(p.Name);
                }

                Functions.Add((def, inner));
                _enclosing.Add(def);
                WalkBody(def.Body, inner, cancellationToken);
                _enclosing.RemoveAt(_enclosing.Count - 1);
                break;
            }

            case ClassDef cls:
                foreach (var decorator in cls.Decorators)
                {
                    Visit(decorator, scope);
                }

                foreach (var b in cls.Bases)
                {
                    Visit(b.Value, scope);
                }

                scope.Bindings[cls.Name] = null;
                WalkBody(cls.Body, new Scope(scope, scope.Function), cancellationToken);
                break;
            case BlockStmt block:
                foreach (var h in block.Header)
                {
                    Visit(h, scope);
                }

                foreach (var item in block.Items)
                {
                    if (block.Kind == "with")
                    {
                        Visit(item.Context, scope);
                    }

                    if (item.Target is not null)
                    {
                        Bind(item.Target, block.Kind == "with" ? item.Context : null, scope, block.At);
                    }
                }

                foreach (var body in block.Bodies)
                {
                    WalkBody(body, scope, cancellationToken);
                }

                break;
            case ErrorStmt error:
                WalkBody(error.Body, scope, cancellationToken);
                break;
        }
    }

    private void Bind(Expr target, Expr? value, Scope scope, Pos at)
    {
        switch (target)
        {
            case NameExpr name:
                scope.Aliases.Remove(name.Id);
                scope.Bindings[name.Id] = value is null ? null : (value, scope);
                break;
            case CollectionExpr { Kind: "tuple" or "list" } tuple:
                foreach (var item in tuple.Items)
                {
                    if (item is not null)
                    {
                        Bind(item, null, scope, at);
                    }
                }

                break;
            case OtherExpr { Kind: "starred" } starred:
                Bind(starred.Children[0], null, scope, at);
                break;
            case SubscriptExpr sub when value is not null && Qualify(sub.Value, scope) is "os.environ" && Eval(sub.Index, scope) is { Kind: ValueKind.ConstantString } key:
                Environment.Add(new EnvAssignment(key.Text!, Eval(value, scope), at));
                break;
        }
    }

    /// <summary>Collects calls, references and literals inside an expression (the evaluation order does not matter).</summary>
    private void Visit(Expr e, Scope scope)
    {
        switch (e)
        {
            case CallExpr call:
            {
                if (Qualify(call.Func, scope) is { } target)
                {
                    Calls.Add(new CallSite(call, target, scope, scope.Function, [.. _enclosing]));
                    if (target is "os.environ.setdefault" or "os.putenv" && call.Args.Count >= 2
                        && Eval(call.Args[0].Value, scope) is { Kind: ValueKind.ConstantString } key)
                    {
                        Environment.Add(new EnvAssignment(key.Text!, Eval(call.Args[1].Value, scope), call.At));
                    }
                }

                if (call.Func is AttributeExpr a)
                {
                    Visit(a.Value, scope);
                }
                else if (call.Func is not NameExpr)
                {
                    Visit(call.Func, scope);
                }

                foreach (var arg in call.Args)
                {
                    Visit(arg.Value, scope);
                }

                break;
            }

            case AttributeExpr attribute:
                if (Qualify(attribute, scope) is { } q)
                {
                    References.Add(new Reference(q, attribute.At));
                }

                Visit(attribute.Value, scope);
                break;
            case NameExpr name:
                if (scope.Alias(name.Id) is { } n)
                {
                    References.Add(new Reference(n, name.At));
                }

                break;
            case ConstantExpr { Kind: "str" } s:
                Strings.Add(new StringLiteral(s.Text, s.At, _enclosing.LastOrDefault()));
                break;
            case FStringExpr f:
                foreach (var part in f.Parts)
                {
                    if (part.Value is not null)
                    {
                        Visit(part.Value, scope);
                    }
                    else if (part.Constant is { Length: > 0 } c)
                    {
                        Strings.Add(new StringLiteral(c, f.At, _enclosing.LastOrDefault()));
                    }
                }

                break;
            case SubscriptExpr sub:
                Visit(sub.Value, scope);
                Visit(sub.Index, scope);
                break;
            case BinaryExpr b:
                Visit(b.Left, scope);
                Visit(b.Right, scope);
                break;
            case UnaryExpr u:
                Visit(u.Operand, scope);
                break;
            case CollectionExpr c:
                foreach (var item in c.Items)
                {
                    if (item is not null)
                    {
                        Visit(item, scope);
                    }
                }

                break;
            case LambdaExpr lambda:
            {
                var inner = new Scope(scope, scope.Function);
                foreach (var p in lambda.Params)
                {
                    inner.Parameters.Add(p.Name);
                }

                Visit(lambda.Body, inner);
                break;
            }

            case NamedExpr named:
                Visit(named.Value, scope);
                scope.Bindings[named.Target] = (named.Value, scope);
                break;
            case OtherExpr other:
                foreach (var child in other.Children)
                {
                    Visit(child, scope);
                }

                break;
        }
    }

    /// <summary>
    /// The dotted name an expression stands for, resolved through imports: "np.load" is "numpy.load", a variable
    /// bound to a call is "that call()" ("client = OpenAI(); client.chat" is "openai.OpenAI().chat"). Null when the
    /// expression is not a name chain.
    /// </summary>
    public static string? Qualify(Expr e, Scope scope, int depth = 0)
    {
        if (depth > MaxEvalDepth)
        {
            return null;
        }

        switch (e)
        {
            case NameExpr name:
            {
                if (scope.Alias(name.Id) is { } alias)
                {
                    return alias;
                }

                var (found, isParameter, value, valueScope) = scope.Lookup(name.Id);
                if (found && !isParameter && value is CallExpr call && Qualify(call.Func, valueScope!, depth + 1) is { } t)
                {
                    return t + "()";
                }

                if (found && !isParameter && value is AttributeExpr or NameExpr && Qualify(value, valueScope!, depth + 1) is { } q)
                {
                    return q;
                }

                return name.Id;
            }

            case AttributeExpr attribute:
                return Qualify(attribute.Value, scope, depth + 1) is { } head ? head + "." + attribute.Attr : null;
            case CallExpr call:
                return Qualify(call.Func, scope, depth + 1) is { } f ? f + "()" : null;
            case SubscriptExpr sub:
                return Qualify(sub.Value, scope, depth + 1) is { } v ? v + "[]" : null;
            default:
                return null;
        }
    }

    /// <summary>Simple constant propagation: what is known of an expression's value at this point of the walk.</summary>
    public static PyValue Eval(Expr e, Scope scope, int depth = 0)
    {
        if (depth > MaxEvalDepth)
        {
            return PyValue.Unknown;
        }

        switch (e)
        {
            case ConstantExpr { Kind: "str" } s:
                return new PyValue(ValueKind.ConstantString, s.Text);
            case ConstantExpr c:
                return new PyValue(ValueKind.Constant, c.Text);
            case FStringExpr f:
            {
                var sb = new StringBuilder();
                foreach (var part in f.Parts)
                {
                    if (part.Constant is not null)
                    {
                        sb.Append(part.Constant);
                        continue;
                    }

                    var v = Eval(part.Value!, scope, depth + 1);
                    if (!v.IsConstant)
                    {
                        return new PyValue(ValueKind.Formatted, null, v);
                    }

                    sb.Append(v.Text);
                }

                return new PyValue(ValueKind.ConstantString, sb.ToString());
            }

            case NameExpr name:
            {
                var (found, isParameter, value, valueScope) = scope.Lookup(name.Id);
                if (!found)
                {
                    return new PyValue(ValueKind.Unknown, name.Id);
                }

                if (isParameter)
                {
                    return new PyValue(ValueKind.Parameter, name.Id);
                }

                return value is null ? new PyValue(ValueKind.Unknown, name.Id) : Eval(value, valueScope!, depth + 1);
            }

            case BinaryExpr { Op: "+" or "%" } b:
            {
                var left = Eval(b.Left, scope, depth + 1);
                var right = Eval(b.Right, scope, depth + 1);
                if (b.Op == "+" && left.Kind == ValueKind.ConstantString && right.Kind == ValueKind.ConstantString)
                {
                    return new PyValue(ValueKind.ConstantString, left.Text + right.Text);
                }

                if (b.Op == "%" && left.Kind == ValueKind.ConstantString && right.IsConstant)
                {
                    return new PyValue(ValueKind.ConstantString, left.Text);
                }

                if (left.Kind is ValueKind.ConstantString or ValueKind.Formatted || right.Kind is ValueKind.ConstantString or ValueKind.Formatted)
                {
                    return new PyValue(ValueKind.Formatted, null, left.IsConstant ? right : left);
                }

                return PyValue.Unknown;
            }

            case CallExpr call:
            {
                var target = Qualify(call.Func, scope, depth + 1);
                if (call.Func is AttributeExpr { Attr: "format" } fmt && Eval(fmt.Value, scope, depth + 1).Kind == ValueKind.ConstantString)
                {
                    return call.Args.All(a => Eval(a.Value, scope, depth + 1).IsConstant)
                        ? Eval(fmt.Value, scope, depth + 1)
                        : new PyValue(ValueKind.Formatted);
                }

                switch (target)
                {
                    case "open" or "io.open" or "builtins.open" or "gzip.open" or "bz2.open" or "lzma.open" or "codecs.open" when call.Args.Count > 0:
                        return new PyValue(ValueKind.OpenFile, null, Eval(call.Args[0].Value, scope, depth + 1));
                    case "os.path.join" or "pathlib.Path" or "pathlib.PurePath" or "posixpath.join" or "str":
                    {
                        var parts = call.Args.Select(a => Eval(a.Value, scope, depth + 1)).ToList();
                        if (parts.Count > 0 && parts.All(p => p.Kind == ValueKind.ConstantString))
                        {
                            return new PyValue(ValueKind.ConstantString, string.Join('/', parts.Select(p => p.Text)));
                        }

                        return parts.FirstOrDefault(p => !p.IsConstant) ?? PyValue.Unknown;
                    }

                    case "input" or "os.getenv" or "os.environ.get" or "sys.stdin.read" or "sys.stdin.readline":
                        return new PyValue(ValueKind.External, target);
                }

                if (target is not null && (target.EndsWith(".get_json", StringComparison.Ordinal) || target.StartsWith("flask.request", StringComparison.Ordinal)))
                {
                    return new PyValue(ValueKind.External, "request data");
                }

                return target is null ? PyValue.Unknown : new PyValue(ValueKind.CallResult, target);
            }

            case SubscriptExpr sub:
            {
                var q = Qualify(sub.Value, scope, depth + 1);
                if (q is "sys.argv" or "os.environ")
                {
                    return new PyValue(ValueKind.External, q);
                }

                return Eval(sub.Value, scope, depth + 1) is { Kind: ValueKind.External or ValueKind.Parameter } inner ? inner : PyValue.Unknown;
            }

            case AttributeExpr attribute:
            {
                var q = Qualify(attribute, scope, depth + 1);
                if (q is not null && (q.Contains("parse_args()", StringComparison.Ordinal) || q.StartsWith("flask.request", StringComparison.Ordinal)))
                {
                    return new PyValue(ValueKind.External, q.Contains("parse_args()", StringComparison.Ordinal) ? "a command-line argument" : "request data");
                }

                var inner = Eval(attribute.Value, scope, depth + 1);
                return inner.Kind is ValueKind.Parameter or ValueKind.External ? inner : new PyValue(ValueKind.Unknown, q);
            }

            default:
                return PyValue.Unknown;
        }
    }

    /// <summary>Short source-like text of an expression for messages ("torch.load(path)").</summary>
    public static string Render(Expr e, int budget = 60)
    {
        var text = e switch
        {
            NameExpr n => n.Id,
            AttributeExpr a => Render(a.Value, budget) + "." + a.Attr,
            CallExpr c => Render(c.Func, budget) + "(" + string.Join(", ", c.Args.Take(3).Select(a => (a.Star == 1 ? "*" : a.Star == 2 ? "**" : "") + (a.Keyword is null ? "" : a.Keyword + "=") + Render(a.Value, 20))) + (c.Args.Count > 3 ? ", ..." : "") + ")",
            ConstantExpr { Kind: "str" } s => "'" + (s.Text.Length > 30 ? s.Text[..27] + "..." : s.Text) + "'",
            ConstantExpr c => c.Text,
            FStringExpr => "f'...'",
            SubscriptExpr s => Render(s.Value, budget) + "[" + Render(s.Index, 20) + "]",
            _ => "...",
        };
        return text.Length <= budget ? text : text[..(budget - 3)] + "...";
    }
}
