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

    /// <summary>A value checked against a fixed set of constants (an allow-list test, argparse choices=).</summary>
    Checked,

    /// <summary>The contents of a file of this repository (open("tools/version.py").read()): <see cref="PyValue.Inner"/> is its path.</summary>
    RepoFile,
}

/// <summary>What the analysis knows about the value of an expression.</summary>
internal sealed record PyValue(ValueKind Kind, string? Text = null, PyValue? Inner = null)
{
    public static PyValue Unknown { get; } = new(ValueKind.Unknown);

    /// <summary>
    /// How the value reached a function's parameter from one of its callers ("passed as 'cmd' to run_cmd() at line
    /// 12"), when the analysis followed it there; null for a value seen where it is used.
    /// </summary>
    public string? Via { get; init; }

    /// <summary>Known before run time, or fixed by the program: a constant, an allow-listed value, a file of the repository.</summary>
    public bool IsConstant => Kind is ValueKind.ConstantString or ValueKind.Constant or ValueKind.Checked or ValueKind.RepoFile;

    /// <summary>A short description for messages ("the constant 'models/a.pt'", "the parameter 'path'").</summary>
    public string Describe() => Via is null ? DescribeValue() : DescribeValue() + ", " + Via;

    private string DescribeValue() => Kind switch
    {
        ValueKind.ConstantString => $"the constant '{Shorten(Text ?? "")}'",
        ValueKind.Constant => $"the constant {Text}",
        ValueKind.Parameter => $"the function parameter '{Text}'",
        ValueKind.External => $"external input ({Text})" + (Inner is { } fallback ? $", by default {fallback.Describe()}" : ""),
        ValueKind.Formatted => "a string built at run time",
        ValueKind.OpenFile => $"a file opened from {Inner?.Describe() ?? "an unknown path"}",
        ValueKind.CallResult => $"the result of {Text}()",
        ValueKind.Checked => $"{Text ?? "a value"} checked against a fixed allow-list",
        ValueKind.RepoFile => $"the contents of the repository file {Inner?.Describe() ?? "?"}",
        _ => Text is null ? "a value not known before run time" : $"'{Text}', not known before run time",
    };

    private static string Shorten(string s) => s.Length <= 60 ? s : s[..57] + "...";
}

internal sealed record CallSite(CallExpr Call, string Target, Scope Scope, FunctionDef? Function, IReadOnlyList<FunctionDef> Enclosing)
{
    /// <summary>Names the call sits under an allow-list check of ("if mode in MODES:" around it).</summary>
    public IReadOnlySet<string>? Guarded { get; init; }
}

internal sealed record Reference(string Name, Pos At);

/// <summary>One value a caller passes to a parameter: the argument (null: not known statically) in the caller's scope.</summary>
internal sealed record ParameterSource(Expr? Value, Scope Scope, IReadOnlySet<string>? Guarded, string Function, int Line);

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

    /// <summary>The class whose body this scope is (null for modules, functions and lambdas).</summary>
    public ClassDef? Class { get; init; }

    /// <summary>
    /// For a function that does not escape its module (<see cref="PyCallers"/>): every value its callers pass to each
    /// parameter. Null when the callers are not all known: the parameters are then unknown input.
    /// </summary>
    public Dictionary<string, List<ParameterSource>>? ParameterSources { get; set; }

    /// <summary>Parameters already resolved from <see cref="ParameterSources"/> (also the guard against call cycles).</summary>
    public Dictionary<string, PyValue> ResolvedParameters { get; } = new(StringComparer.Ordinal);

    /// <summary>In a class body scope: every value bound to self.NAME in the class's methods, in source order.</summary>
    public Dictionary<string, List<(Expr? Value, Scope Scope)>> SelfAttributes { get; } = new(StringComparer.Ordinal);

    /// <summary>In a module scope: attribute names assigned on something other than self (obj.x = ...), anywhere linked to it.</summary>
    public HashSet<string> ForeignAttributes { get; } = new(StringComparer.Ordinal);

    /// <summary>A method's scope: its class body scope when <paramref name="name"/> is the method's first parameter (self).</summary>
    public Scope? SelfClass(string name) =>
        Function is { Params.Count: > 0 } f && f.Params[0].Name == name && f.Params[0].Star == 0 && Parameters.Contains(name) && Parent?.Class is not null
            ? Parent
            : null;

    /// <summary>Every value bound to a name in this scope, in source order (null: a value not known statically).</summary>
    public Dictionary<string, List<(Expr? Value, Scope Scope)>> History { get; } = new(StringComparer.Ordinal);

    /// <summary>
    /// Names (or dotted names such as "args.mode") that this scope checks against a fixed set of constants before
    /// any use that follows: "assert mode in MODES", "if mode not in MODES: raise ...".
    /// </summary>
    public HashSet<string> Guarded { get; } = new(StringComparer.Ordinal);

    /// <summary>argparse options (by dest) declared with choices= of constants: only those values reach the program.</summary>
    public HashSet<string> ArgumentChoices { get; } = new(StringComparer.Ordinal);

    /// <summary>argparse options (by dest) and their constant default=, for the values used when no option is given.</summary>
    public Dictionary<string, string> ArgumentDefaults { get; } = new(StringComparer.Ordinal);

    public Scope Root
    {
        get
        {
            var s = this;
            while (s.Parent is not null)
            {
                s = s.Parent;
            }

            return s;
        }
    }

    /// <summary>Binds <paramref name="name"/> (null: to a value not known statically) and records it in <see cref="History"/>.</summary>
    public void Assign(string name, Expr? value)
    {
        Bindings[name] = value is null ? null : (value, this);
        if (!History.TryGetValue(name, out var list))
        {
            History[name] = list = [];
        }

        list.Add((value, this));
    }

    public bool IsGuarded(string key)
    {
        for (var s = this; s is not null; s = s.Parent)
        {
            if (s.Guarded.Contains(key))
            {
                return true;
            }
        }

        return false;
    }

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

    /// <summary>Names checked by the "if X in ALLOWED:" tests of the bodies being walked.</summary>
    private readonly List<string> _bodyGuards = [];

    private readonly PyWalk<Scope> _statements;
    private readonly PyWalk<Scope> _expressions;

    private PyFacts()
    {
        ModuleScope = new Scope(null, null);
        _statements = new PyWalk<Scope>(Walk, static (_, _, _) => { });
        _expressions = new PyWalk<Scope>(static (_, _, _) => { }, VisitNode);
    }

    public Scope ModuleScope { get; }

    public List<CallSite> Calls { get; } = [];

    public List<Reference> References { get; } = [];

    public List<StringLiteral> Strings { get; } = [];

    public List<EnvAssignment> Environment { get; } = [];

    public List<(string Module, Pos At)> Imports { get; } = [];

    public List<(FunctionDef Function, Scope Scope)> Functions { get; } = [];

    public List<(ClassDef Class, Scope Body)> Classes { get; } = [];

    /// <summary>Names read as values (not called): a function whose name is here can be called from anywhere.</summary>
    public HashSet<string> NameUses { get; } = new(StringComparer.Ordinal);

    /// <summary>Attribute names read as values (not called): a method whose name is here can be called from anywhere.</summary>
    public HashSet<string> AttributeUses { get; } = new(StringComparer.Ordinal);

    public static PyFacts Collect(PyModule module, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(module);
        var facts = new PyFacts();
        facts._statements.Run(module.Body, facts.ModuleScope, cancellationToken);
        return facts;
    }

    /// <summary>
    /// One statement, in source order: its own bindings and expressions now, its bodies scheduled on the walker (with
    /// what must happen around them, such as the allow-list guards of an if branch, scheduled in between).
    /// </summary>
    private void Walk(PyWalk<Scope> walk, Stmt stmt, Scope scope)
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
                    scope.History.Remove(alias.AsName ?? alias.Name.Split('.')[0]);
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
                    scope.History.Remove(local);
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

                if (s.Kind == "assert" && s.Children.Count > 0 && AllowListCheck(s.Children[0], scope, negated: false) is { } asserted)
                {
                    scope.Guarded.Add(asserted);
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

                scope.Assign(def.Name, null);
                var inner = new Scope(scope, def);
                foreach (var p in def.Params)
                {
                    inner.Parameters.Add(p.Name);
                }

                Functions.Add((def, inner));
                walk.Then(() => _enclosing.Add(def));
                walk.Body(def.Body, inner);
                walk.Then(() => _enclosing.RemoveAt(_enclosing.Count - 1));
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

                scope.Assign(cls.Name, null);
                var classBody = new Scope(scope, scope.Function) { Class = cls };
                Classes.Add((cls, classBody));
                walk.Body(cls.Body, classBody);
                break;
            case BlockStmt { Kind: "if" } branches:
                // if/elif/.../else: test i guards body i; a last extra body is the else.
                // Each test is read when its branch comes, after the bodies before it.
                for (var i = 0; i < branches.Bodies.Count; i++)
                {
                    var branch = i;
                    string? checkedName = null;
                    walk.Then(() =>
                    {
                        if (branch < branches.Header.Count)
                        {
                            Visit(branches.Header[branch], scope);
                            checkedName = AllowListCheck(branches.Header[branch], scope, negated: false);
                            // "if x not in ALLOWED: raise/return/exit": past this point x is one of ALLOWED.
                            if (AllowListCheck(branches.Header[branch], scope, negated: true) is { } rejected && Leaves(branches.Bodies[branch], scope))
                            {
                                scope.Guarded.Add(rejected);
                            }
                        }

                        if (checkedName is not null)
                        {
                            _bodyGuards.Add(checkedName);
                        }
                    });
                    walk.Body(branches.Bodies[i], scope);
                    walk.Then(() =>
                    {
                        if (checkedName is not null)
                        {
                            _bodyGuards.RemoveAt(_bodyGuards.Count - 1);
                        }
                    });
                }

                break;
            case BlockStmt { Kind: "for", Items: [{ Target: NameExpr loopVariable }], Header: [var iterable] } loop
                when ConstantItems(iterable, scope) is { Count: > 0 } elements:
                // for x in ("a", "b"): x is each of the constants in turn.
                Visit(iterable, scope);
                scope.Aliases.Remove(loopVariable.Id);
                foreach (var element in elements)
                {
                    scope.Assign(loopVariable.Id, element);
                }

                foreach (var body in loop.Bodies)
                {
                    walk.Body(body, scope);
                }

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
                        // for x in ITERABLE: x is an element of it (with: the context's value).
                        var value = block.Kind == "with" ? item.Context
                            : block.Kind == "for" && item.Target is NameExpr && block.Header.Count == 1 ? new OtherExpr(block.Header[0].At, Element, [block.Header[0]])
                            : null;
                        Bind(item.Target, value, scope, block.At);
                    }
                }

                foreach (var body in block.Bodies)
                {
                    walk.Body(body, scope);
                }

                break;
            case ErrorStmt error:
                walk.Body(error.Body, scope);
                break;
        }
    }

    private void Bind(Expr target, Expr? value, Scope scope, Pos at)
    {
        switch (target)
        {
            case NameExpr name:
                scope.Aliases.Remove(name.Id);
                scope.Assign(name.Id, value);
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
            case AttributeExpr { Value: NameExpr owner } attribute when scope.Lookup(owner.Id) is { IsParameter: true, Scope: { } ownerScope } && ownerScope.SelfClass(owner.Id) is { } cls:
                // self.x = value in a method: one more value of the attribute for every method of the class.
                if (!cls.SelfAttributes.TryGetValue(attribute.Attr, out var values))
                {
                    cls.SelfAttributes[attribute.Attr] = values = [];
                }

                values.Add((value, scope));
                break;
            case AttributeExpr attribute:
                ModuleScope.ForeignAttributes.Add(attribute.Attr);
                break;
            case SubscriptExpr sub when value is not null && Qualify(sub.Value, scope) is "os.environ" && Eval(sub.Index, scope) is { Kind: ValueKind.ConstantString } key:
                Environment.Add(new EnvAssignment(key.Text!, Eval(value, scope), at));
                break;
        }
    }

    /// <summary>
    /// Collects calls, references and literals inside an expression, in the same pre-order as a recursive walk, on the
    /// shared iterative walker: a 100,000-term concatenation or a long attribute chain is a tree that deep, and
    /// untrusted source must not be able to overflow the thread's stack.
    /// </summary>
    private void Visit(Expr root, Scope rootScope) => _expressions.Run(root, rootScope);

    private void VisitNode(PyWalk<Scope> walk, Expr e, Scope scope)
    {
        switch (e)
        {
            case CallExpr call:
            {
                if (Qualify(call.Func, scope) is { } target)
                {
                    Calls.Add(new CallSite(call, target, scope, scope.Function, [.. _enclosing])
                    {
                        Guarded = _bodyGuards.Count == 0 ? null : _bodyGuards.ToHashSet(StringComparer.Ordinal),
                    });
                    if (target.EndsWith(".add_argument", StringComparison.Ordinal))
                    {
                        RecordArgument(call, scope);
                    }

                    if (target is "os.environ.setdefault" or "os.putenv" && call.Args.Count >= 2
                        && Eval(call.Args[0].Value, scope) is { Kind: ValueKind.ConstantString } key)
                    {
                        Environment.Add(new EnvAssignment(key.Text!, Eval(call.Args[1].Value, scope), call.At));
                    }
                }

                // The callee's own name is the call just recorded; only what it is looked up on is a reference.
                walk.CallChildren(call, scope);
                break;
            }

            case AttributeExpr attribute:
                if (Qualify(attribute, scope) is { } q)
                {
                    References.Add(new Reference(q, attribute.At));
                }

                AttributeUses.Add(attribute.Attr);

                walk.Expression(attribute.Value, scope);
                break;
            case NameExpr name:
                if (scope.Alias(name.Id) is { } n)
                {
                    References.Add(new Reference(n, name.At));
                }

                NameUses.Add(name.Id);
                break;
            case CollectionExpr { Kind: "genexp" or "listcomp" or "setcomp" or "dictcomp" } comprehension:
            {
                // [ELT for TARGET in ITERABLE ...]: the comprehension has its own scope, where a plain-name target of
                // the first clause is an element of its iterable. Later clauses (which the flat item list cannot tell
                // from conditions) leave their names unknown.
                var inner = new Scope(scope, scope.Function);
                var lead = comprehension.Kind == "dictcomp" ? 2 : 1;
                if (comprehension.Items.Count > lead + 1 && comprehension.Items[lead + 1] is { } iterable)
                {
                    if (comprehension.Items[lead] is NameExpr target)
                    {
                        inner.Assign(target.Id, new OtherExpr(iterable.At, Element, [iterable]));
                    }
                    else if (comprehension.Items[lead] is { } other)
                    {
                        Bind(other, null, inner, other.At);
                    }
                }

                walk.Children(comprehension, inner);
                break;
            }

            case ConstantExpr { Kind: "str" } s:
                Strings.Add(new StringLiteral(s.Text, s.At, _enclosing.LastOrDefault()));
                break;
            case FStringExpr f:
                foreach (var part in f.Parts)
                {
                    if (part.Value is { } v)
                    {
                        walk.Expression(v, scope);
                    }
                    else if (part.Constant is { Length: > 0 } c)
                    {
                        // Visited as a literal so that it keeps its place among the nested expressions.
                        walk.Expression(new ConstantExpr(f.At, "str", c), scope);
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

                walk.Expression(lambda.Body, inner);
                break;
            }

            case NamedExpr named:
                walk.Expression(named.Value, scope);
                walk.Then(() => scope.Assign(named.Target, named.Value));
                break;
            default:
                walk.Children(e, scope);
                break;
        }
    }

    /// <summary>argparse add_argument: the option's dest, and whether choices= fixes its values or default= is a constant.</summary>
    private static void RecordArgument(CallExpr call, Scope scope)
    {
        var names = call.Args.Where(a => a.Keyword is null && a.Star == 0).Select(a => a.Value).OfType<ConstantExpr>().Where(c => c.Kind == "str").Select(c => c.Text).ToList();
        var dest = call.Args.FirstOrDefault(a => a.Keyword == "dest")?.Value is ConstantExpr { Kind: "str" } d ? d.Text
            : (names.FirstOrDefault(n => n.StartsWith("--", StringComparison.Ordinal)) ?? names.FirstOrDefault())?.TrimStart('-').Replace('-', '_');
        if (string.IsNullOrEmpty(dest))
        {
            return;
        }

        var root = scope.Root;
        if (call.Args.FirstOrDefault(a => a.Keyword == "choices") is { } choices && ConstantItems(choices.Value, scope) is { Count: > 0 })
        {
            root.ArgumentChoices.Add(dest);
        }

        if (call.Args.FirstOrDefault(a => a.Keyword == "default") is { } def && Eval(def.Value, scope) is { Kind: ValueKind.ConstantString } text)
        {
            root.ArgumentDefaults[dest] = text.Text!;
        }
    }

    /// <summary>"X in ALLOWED" (or "X not in ALLOWED" when <paramref name="negated"/>) with a fixed set of constants: the checked name.</summary>
    private static string? AllowListCheck(Expr test, Scope scope, bool negated) =>
        test is BinaryExpr { Op: "in" or "not in" } b && (b.Op == "not in") == negated && GuardKey(b.Left) is { } key && ConstantItems(b.Right, scope) is { Count: > 0 }
            ? key
            : null;

    /// <summary>A body that ends the function, loop or program (raise, return, continue, sys.exit/parser.error).</summary>
    private static bool Leaves(IReadOnlyList<Stmt> body, Scope scope) => body.Count > 0 && body[^1] switch
    {
        ReturnStmt => true,
        SimpleStmt { Kind: "raise" or "continue" or "break" } => true,
        ExprStmt { Value: CallExpr call } => Qualify(call.Func, scope) is { } t && (t is "sys.exit" or "exit" or "quit" or "os._exit" || t.EndsWith(".error", StringComparison.Ordinal)),
        _ => false,
    };

    /// <summary>The key an allow-list check is recorded under: a name or a dotted chain of names ("args.mode").</summary>
    internal static string? GuardKey(Expr e) => e switch
    {
        NameExpr n => n.Id,
        AttributeExpr { Value: NameExpr or AttributeExpr } a when GuardKey(a.Value) is { } head => head + "." + a.Attr,
        _ => null,
    };

    /// <summary>
    /// The items of a fixed collection of constants (a list/tuple/set literal, the keys of a dict literal, set(...),
    /// .keys(), or a name bound to one), or null when it is not one.
    /// </summary>
    internal static List<Expr>? ConstantItems(Expr e, Scope scope, int depth = 0)
    {
        if (depth > 4)
        {
            return null;
        }

        switch (e)
        {
            case CollectionExpr { Kind: "list" or "tuple" or "set" } c when c.Items.All(i => i is not null and not OtherExpr { Kind: "starred" }):
                return c.Items.All(i => Eval(i!, scope, MaxEvalDepth - 2).IsConstant) ? [.. c.Items.Select(i => i!)] : null;
            case CollectionExpr { Kind: "dict" } d:
            {
                var keys = d.Items.Where((_, i) => i % 2 == 0).ToList();
                return keys.All(k => k is not null && Eval(k, scope, MaxEvalDepth - 2).IsConstant) ? [.. keys.Select(k => k!)] : null;
            }

            case NameExpr name:
            {
                var (found, isParameter, value, valueScope) = scope.Lookup(name.Id);
                return found && !isParameter && value is not null && valueScope!.History.GetValueOrDefault(name.Id)?.Count is null or 1
                    ? ConstantItems(value, valueScope, depth + 1)
                    : null;
            }

            case CallExpr { Func: NameExpr { Id: "set" or "frozenset" or "list" or "tuple" or "sorted" }, Args: [{ Keyword: null, Star: 0 } only] }:
                return ConstantItems(only.Value, scope, depth + 1);
            case CallExpr { Func: AttributeExpr { Attr: "keys" } keys, Args: [] }:
                return ConstantItems(keys.Value, scope, depth + 1);
            default:
                return null;
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

    /// <summary>Most bindings of one name whose values are all followed; a name bound more often is judged by its last ones.</summary>
    private const int MaxAlternatives = 8;

    /// <summary>
    /// Simple constant propagation: what is known of an expression's value. A name bound more than once in its scope
    /// is judged by every value bound to it (all the assignments that can reach a use), not only the last one: the
    /// most telling non-constant value wins, and it is a constant only when every assignment is one.
    /// <paramref name="guarded"/> are names the use sits under an allow-list check of.
    /// </summary>
    public static PyValue Eval(Expr e, Scope scope, IReadOnlySet<string>? guarded) => Eval(e, scope, 0, guarded);

    /// <summary>Simple constant propagation: what is known of an expression's value (see the overload with guards).</summary>
    public static PyValue Eval(Expr e, Scope scope, int depth = 0) => Eval(e, scope, depth, null);

    private static PyValue Eval(Expr e, Scope scope, int depth, IReadOnlySet<string>? guarded)
    {
        if (depth > MaxEvalDepth)
        {
            return PyValue.Unknown;
        }

        if (e is NameExpr or AttributeExpr && GuardKey(e) is { } key && (guarded?.Contains(key) == true || scope.IsGuarded(key)))
        {
            return new PyValue(ValueKind.Checked, $"'{key}'");
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
                PyValue? checkedPart = null;
                foreach (var part in f.Parts)
                {
                    if (part.Constant is not null)
                    {
                        sb.Append(part.Constant);
                        continue;
                    }

                    var v = Eval(part.Value!, scope, depth + 1, guarded);
                    if (!v.IsConstant)
                    {
                        return new PyValue(ValueKind.Formatted, null, v);
                    }

                    checkedPart ??= v.Kind == ValueKind.Checked ? v : null;
                    sb.Append(v.Text);
                }

                return checkedPart ?? new PyValue(ValueKind.ConstantString, sb.ToString());
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
                    return valueScope!.ParameterSources?.GetValueOrDefault(name.Id) is { } sources
                        ? ResolveParameter(name.Id, valueScope, sources, depth)
                        : new PyValue(ValueKind.Parameter, name.Id);
                }

                if (depth < 2 && valueScope!.History.TryGetValue(name.Id, out var history) && history.Count > 1)
                {
                    return Combine(name.Id, history.TakeLast(MaxAlternatives).Select(h => h.Value is null ? new PyValue(ValueKind.Unknown, name.Id) : Eval(h.Value, h.Scope, depth + 1, guarded)).ToList());
                }

                return value is null ? new PyValue(ValueKind.Unknown, name.Id) : Eval(value, valueScope!, depth + 1, guarded);
            }

            case BinaryExpr { Op: "+" or "%" } b:
            {
                var left = Eval(b.Left, scope, depth + 1, guarded);
                var right = Eval(b.Right, scope, depth + 1, guarded);
                if (b.Op == "+" && left.Kind == ValueKind.ConstantString && right.Kind == ValueKind.ConstantString)
                {
                    return new PyValue(ValueKind.ConstantString, left.Text + right.Text);
                }

                if (left.IsConstant && right.IsConstant && (left.Kind == ValueKind.Checked || right.Kind == ValueKind.Checked))
                {
                    return left.Kind == ValueKind.Checked ? left : right;
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

            case CallExpr { Func: AttributeExpr { Attr: "read" or "read_text" or "read_bytes" or "readlines" } reader } when Eval(reader.Value, scope, depth + 1, guarded) is var file
                && (file.Kind == ValueKind.OpenFile || (file.Kind == ValueKind.ConstantString && reader.Attr is "read_text" or "read_bytes")) && PythonRules.InRepo(file):
                // open("tools/version.py").read(), Path("prompts/system.txt").read_text(): a file of this repository.
                return new PyValue(ValueKind.RepoFile, null, file.Kind == ValueKind.OpenFile ? file.Inner : file);
            case CallExpr call:
            {
                var target = Qualify(call.Func, scope, depth + 1);
                if (call.Func is AttributeExpr { Attr: "format" } fmt && Eval(fmt.Value, scope, depth + 1, guarded).Kind == ValueKind.ConstantString)
                {
                    return call.Args.All(a => Eval(a.Value, scope, depth + 1, guarded).IsConstant)
                        ? Eval(fmt.Value, scope, depth + 1, guarded)
                        : new PyValue(ValueKind.Formatted);
                }

                switch (target)
                {
                    case "open" or "io.open" or "builtins.open" or "gzip.open" or "bz2.open" or "lzma.open" or "codecs.open" when call.Args.Count > 0:
                        return new PyValue(ValueKind.OpenFile, null, Eval(call.Args[0].Value, scope, depth + 1, guarded));
                    case "os.path.join" or "pathlib.Path" or "pathlib.PurePath" or "posixpath.join" or "str":
                    {
                        var parts = call.Args.Select(a => Eval(a.Value, scope, depth + 1, guarded)).ToList();
                        if (parts.Count > 0 && parts.All(p => p.Kind == ValueKind.ConstantString))
                        {
                            return new PyValue(ValueKind.ConstantString, string.Join('/', parts.Select(p => p.Text)));
                        }

                        return parts.FirstOrDefault(p => !p.IsConstant) ?? PyValue.Unknown;
                    }

                    case "os.getenv" or "os.environ.get" when call.Args.Count > 1 && Eval(call.Args[1].Value, scope, depth + 1, guarded) is { Kind: ValueKind.ConstantString } fallback:
                        // The environment, or this default when the variable is not set.
                        return new PyValue(ValueKind.External, target, fallback);
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

                return Eval(sub.Value, scope, depth + 1, guarded) is { Kind: ValueKind.External or ValueKind.Parameter } inner ? inner : PyValue.Unknown;
            }

            case AttributeExpr { Value: NameExpr owner } attribute when depth < MaxAttributeDepth && scope.Lookup(owner.Id) is { IsParameter: true, Scope: { } ownerScope }
                && ownerScope.SelfClass(owner.Id) is { } cls && cls.SelfAttributes.TryGetValue(attribute.Attr, out var bound)
                && !scope.Root.ForeignAttributes.Contains(attribute.Attr) && bound.Count <= MaxAlternatives:
                // self.x, bound only by the class's own methods: every value they bind to it.
                return Combine(attribute.Attr, bound.Select(b => b.Value is null ? new PyValue(ValueKind.Unknown, "self." + attribute.Attr) : Eval(b.Value, b.Scope, depth + 1, null)).ToList());
            case OtherExpr { Kind: Element, Children: [var iterable] }:
            {
                // An element of a collection: each of its constant items, or what is known of the collection itself
                // (the elements of input are input; of a constant, constants).
                if (ConstantItems(iterable, scope) is { Count: > 0 and <= MaxAlternatives } items)
                {
                    return Combine("element", items.Select(i => Eval(i, scope, depth + 1, guarded)).ToList());
                }

                var whole = Eval(iterable, scope, depth + 1, guarded);
                return whole.IsConstant || whole.Kind is ValueKind.External or ValueKind.Parameter or ValueKind.Formatted ? whole : new PyValue(ValueKind.Unknown, whole.Text);
            }

            case AttributeExpr attribute:
            {
                var q = Qualify(attribute, scope, depth + 1);
                if (q is not null && q.Contains("parse_args()", StringComparison.Ordinal))
                {
                    var root = scope.Root;
                    if (root.ArgumentChoices.Contains(attribute.Attr))
                    {
                        return new PyValue(ValueKind.Checked, $"the option --{attribute.Attr.Replace('_', '-')}, limited by argparse choices=");
                    }

                    return new PyValue(ValueKind.External, "a command-line argument",
                        root.ArgumentDefaults.TryGetValue(attribute.Attr, out var fallback) ? new PyValue(ValueKind.ConstantString, fallback) : null);
                }

                if (q is not null && q.StartsWith("flask.request", StringComparison.Ordinal))
                {
                    return new PyValue(ValueKind.External, "request data");
                }

                var inner = Eval(attribute.Value, scope, depth + 1, guarded);
                return inner.Kind is ValueKind.Parameter or ValueKind.External ? inner : new PyValue(ValueKind.Unknown, q);
            }

            default:
                return PyValue.Unknown;
        }
    }

    /// <summary>The kind of the synthetic expression "an element of CHILD" bound to loop and comprehension targets.</summary>
    internal const string Element = "element";

    /// <summary>self.x is followed to the values its class binds only this near the use (each step may fan out <see cref="MaxAlternatives"/> ways).</summary>
    private const int MaxAttributeDepth = 4;

    /// <summary>Call sites followed for one parameter; a function called more often keeps its parameters unknown.</summary>
    internal const int MaxCallSites = 32;

    /// <summary>
    /// A parameter of a function whose every caller is known (<see cref="Scope.ParameterSources"/>): the values they
    /// pass, combined as the bindings of a name are. Each parameter is resolved once (a cycle of calls sees the
    /// parameter itself, unknown input); the depth of the use is carried on, so a chain of calls stays bounded.
    /// </summary>
    private static PyValue ResolveParameter(string name, Scope function, List<ParameterSource> sources, int depth)
    {
        if (function.ResolvedParameters.TryGetValue(name, out var known))
        {
            return known;
        }

        function.ResolvedParameters[name] = new PyValue(ValueKind.Parameter, name);
        if (sources.Count == 0)
        {
            return function.ResolvedParameters[name];
        }

        var values = new List<PyValue>(sources.Count);
        foreach (var source in sources)
        {
            var value = source.Value is null ? new PyValue(ValueKind.Unknown, name) : Eval(source.Value, source.Scope, depth + 1, source.Guarded);
            values.Add(value.IsConstant || value.Via is not null ? value : value with { Via = $"passed as '{name}' to {source.Function}() at line {source.Line}" });
        }

        // All constants: the function only ever sees the program's own values. Input or a string built from it: that,
        // with the call that passes it. Anything else (a call's result, a value not known) stays the parameter, as if
        // the callers were not followed.
        var result = Combine(name, values);
        if (!result.IsConstant && result.Kind is not (ValueKind.External or ValueKind.Formatted or ValueKind.Parameter))
        {
            result = new PyValue(ValueKind.Parameter, name);
        }

        function.ResolvedParameters[name] = result;
        return result;
    }

    /// <summary>The value of a name bound several times: the most telling non-constant one, else the first constant.</summary>
    private static PyValue Combine(string name, List<PyValue> values)
    {
        foreach (var kind in new[] { ValueKind.External, ValueKind.Formatted, ValueKind.Parameter, ValueKind.CallResult, ValueKind.OpenFile, ValueKind.Unknown })
        {
            if (values.FirstOrDefault(v => v.Kind == kind) is { } v)
            {
                return v.Kind == ValueKind.Unknown && v.Text is null ? v with { Text = name } : v;
            }
        }

        // All constant: a constant string only when every assignment is one (and a repository path only when all are).
        if (values.All(v => v.Kind == ValueKind.ConstantString))
        {
            return values.FirstOrDefault(v => !PythonRules.InRepo(v)) ?? values[0];
        }

        return values.FirstOrDefault(v => v.Kind is not (ValueKind.ConstantString or ValueKind.Constant)) ?? values[0];
    }

    /// <summary>Short source-like text of an expression for messages ("torch.load(path)").</summary>
    public static string Render(Expr e, int budget = 60) => Render(e, budget, 0);

    private static string Render(Expr e, int budget, int depth)
    {
        // Bounded: beyond MaxEvalDepth levels (a long attribute chain) the rest is "...", never a deep recursion.
        if (depth > MaxEvalDepth)
        {
            return "...";
        }

        var text = e switch
        {
            NameExpr n => n.Id,
            AttributeExpr a => Render(a.Value, budget, depth + 1) + "." + a.Attr,
            CallExpr c => Render(c.Func, budget, depth + 1) + "(" + string.Join(", ", c.Args.Take(3).Select(a => (a.Star == 1 ? "*" : a.Star == 2 ? "**" : "") + (a.Keyword is null ? "" : a.Keyword + "=") + Render(a.Value, 20, depth + 1))) + (c.Args.Count > 3 ? ", ..." : "") + ")",
            ConstantExpr { Kind: "str" } s => "'" + (s.Text.Length > 30 ? s.Text[..27] + "..." : s.Text) + "'",
            ConstantExpr c => c.Text,
            FStringExpr => "f'...'",
            SubscriptExpr s => Render(s.Value, budget, depth + 1) + "[" + Render(s.Index, 20, depth + 1) + "]",
            CollectionExpr { Kind: "list" or "tuple" } c => (c.Kind == "list" ? "[" : "(") + string.Join(", ", c.Items.Take(3).Select(i => i is null ? "" : Render(i, 30, depth + 1))) + (c.Items.Count > 3 ? ", ..." : "") + (c.Kind == "list" ? "]" : ")"),
            _ => "...",
        };
        return text.Length <= budget ? text : text[..(budget - 3)] + "...";
    }
}
