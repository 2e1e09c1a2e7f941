namespace Rampart.Scanning.Analyzers.Gguf.Jinja;

/// <summary>A node of a Jinja syntax tree, with the position of its first token.</summary>
internal abstract record JinjaNode(int Line, int Column)
{
    /// <summary>Every direct child node, for generic walks.</summary>
    public abstract IEnumerable<JinjaNode> Children { get; }

    protected static IEnumerable<JinjaNode> Of(params object?[] parts)
    {
        foreach (var part in parts)
        {
            switch (part)
            {
                case JinjaNode node:
                    yield return node;
                    break;
                case IEnumerable<JinjaNode> nodes:
                    foreach (var n in nodes)
                    {
                        if (n is not null)
                        {
                            yield return n;
                        }
                    }

                    break;
            }
        }
    }
}

// ---- Expressions ----------------------------------------------------------------------------------------------

internal abstract record Expr(int Line, int Column) : JinjaNode(Line, Column);

internal sealed record NameExpr(string Name, int Line, int Column) : Expr(Line, Column)
{
    public override IEnumerable<JinjaNode> Children => [];
}

/// <summary>A literal: string, long, double, bool or null (none).</summary>
internal sealed record ConstExpr(object? Value, int Line, int Column) : Expr(Line, Column)
{
    public override IEnumerable<JinjaNode> Children => [];
}

internal sealed record ListExpr(IReadOnlyList<Expr> Items, int Line, int Column) : Expr(Line, Column)
{
    public override IEnumerable<JinjaNode> Children => Items;
}

internal sealed record TupleExpr(IReadOnlyList<Expr> Items, int Line, int Column) : Expr(Line, Column)
{
    public override IEnumerable<JinjaNode> Children => Items;
}

internal sealed record DictExpr(IReadOnlyList<(Expr Key, Expr Value)> Pairs, int Line, int Column) : Expr(Line, Column)
{
    public override IEnumerable<JinjaNode> Children => Pairs.SelectMany(p => new JinjaNode[] { p.Key, p.Value });
}

/// <summary><c>obj.name</c>.</summary>
internal sealed record GetattrExpr(Expr Target, string Attribute, int Line, int Column) : Expr(Line, Column)
{
    public override IEnumerable<JinjaNode> Children => [Target];
}

/// <summary><c>obj[key]</c> (the key may be a <see cref="SliceExpr"/> or a tuple).</summary>
internal sealed record GetitemExpr(Expr Target, Expr Key, int Line, int Column) : Expr(Line, Column)
{
    public override IEnumerable<JinjaNode> Children => [Target, Key];
}

internal sealed record SliceExpr(Expr? Start, Expr? Stop, Expr? Step, int Line, int Column) : Expr(Line, Column)
{
    public override IEnumerable<JinjaNode> Children => Of(Start, Stop, Step);
}

/// <summary>Call arguments shared by calls, filters and tests.</summary>
internal sealed record Arguments(IReadOnlyList<Expr> Positional, IReadOnlyList<(string Name, Expr Value)> Keywords, Expr? DynamicArgs, Expr? DynamicKeywords)
{
    public static Arguments None { get; } = new([], [], null, null);

    public IEnumerable<JinjaNode> Nodes => Positional.Concat(Keywords.Select(k => k.Value)).Concat(new[] { DynamicArgs, DynamicKeywords }.OfType<Expr>());

    public Expr? Keyword(string name) => Keywords.FirstOrDefault(k => k.Name == name).Value;
}

internal sealed record CallExpr(Expr Function, Arguments Args, int Line, int Column) : Expr(Line, Column)
{
    public override IEnumerable<JinjaNode> Children => Of(Function, Args.Nodes);
}

/// <summary><c>input | name(args)</c>; <see cref="Input"/> is null in a filter block or block set.</summary>
internal sealed record FilterExpr(Expr? Input, string Name, Arguments Args, int Line, int Column) : Expr(Line, Column)
{
    public override IEnumerable<JinjaNode> Children => Of(Input, Args.Nodes);
}

/// <summary><c>input is [not] name(args)</c>.</summary>
internal sealed record TestExpr(Expr Input, string Name, Arguments Args, bool Negated, int Line, int Column) : Expr(Line, Column)
{
    public override IEnumerable<JinjaNode> Children => Of(Input, Args.Nodes);
}

/// <summary>Arithmetic and logic: + - * / // % ** and or.</summary>
internal sealed record BinaryExpr(string Operator, Expr Left, Expr Right, int Line, int Column) : Expr(Line, Column)
{
    public override IEnumerable<JinjaNode> Children => [Left, Right];
}

/// <summary>Unary - + not.</summary>
internal sealed record UnaryExpr(string Operator, Expr Operand, int Line, int Column) : Expr(Line, Column)
{
    public override IEnumerable<JinjaNode> Children => [Operand];
}

internal sealed record CompareExpr(Expr First, IReadOnlyList<(string Operator, Expr Operand)> Rest, int Line, int Column) : Expr(Line, Column)
{
    public override IEnumerable<JinjaNode> Children => Of(First, Rest.Select(r => r.Operand));
}

/// <summary><c>then if test else otherwise</c>.</summary>
internal sealed record CondExpr(Expr Test, Expr Then, Expr? Otherwise, int Line, int Column) : Expr(Line, Column)
{
    public override IEnumerable<JinjaNode> Children => Of(Test, Then, Otherwise);
}

/// <summary><c>a ~ b ~ c</c>.</summary>
internal sealed record ConcatExpr(IReadOnlyList<Expr> Items, int Line, int Column) : Expr(Line, Column)
{
    public override IEnumerable<JinjaNode> Children => Items;
}

// ---- Statements -----------------------------------------------------------------------------------------------

internal abstract record Stmt(int Line, int Column) : JinjaNode(Line, Column);

internal sealed record TemplateNode(IReadOnlyList<Stmt> Body) : Stmt(1, 1)
{
    public override IEnumerable<JinjaNode> Children => Body;
}

internal sealed record TextStmt(string Text, int Line, int Column) : Stmt(Line, Column)
{
    public override IEnumerable<JinjaNode> Children => [];
}

internal sealed record OutputStmt(Expr Value, int Line, int Column) : Stmt(Line, Column)
{
    public override IEnumerable<JinjaNode> Children => [Value];
}

/// <summary>if / elif (a nested <see cref="IfStmt"/> as the only else statement) / else.</summary>
internal sealed record IfStmt(Expr Test, IReadOnlyList<Stmt> Body, IReadOnlyList<Stmt> Else, int Line, int Column) : Stmt(Line, Column)
{
    public override IEnumerable<JinjaNode> Children => Of(Test, Body, Else);
}

internal sealed record ForStmt(Expr Target, Expr Iterable, Expr? Filter, bool Recursive, IReadOnlyList<Stmt> Body, IReadOnlyList<Stmt> Else, int Line, int Column) : Stmt(Line, Column)
{
    public override IEnumerable<JinjaNode> Children => Of(Target, Iterable, Filter, Body, Else);
}

/// <summary><c>{% set target = value %}</c>; the target is a name, a tuple of names or <c>ns.attr</c>.</summary>
internal sealed record SetStmt(Expr Target, Expr Value, int Line, int Column) : Stmt(Line, Column)
{
    public override IEnumerable<JinjaNode> Children => [Target, Value];
}

/// <summary><c>{% set target | filters %}body{% endset %}</c>.</summary>
internal sealed record SetBlockStmt(Expr Target, FilterExpr? Filter, IReadOnlyList<Stmt> Body, int Line, int Column) : Stmt(Line, Column)
{
    public override IEnumerable<JinjaNode> Children => Of(Target, Filter, Body);
}

internal sealed record MacroStmt(string Name, IReadOnlyList<(string Name, Expr? Default)> Parameters, IReadOnlyList<Stmt> Body, int Line, int Column) : Stmt(Line, Column)
{
    public override IEnumerable<JinjaNode> Children => Of(Parameters.Select(p => p.Default), Body);
}

internal sealed record CallBlockStmt(CallExpr Call, IReadOnlyList<(string Name, Expr? Default)> Parameters, IReadOnlyList<Stmt> Body, int Line, int Column) : Stmt(Line, Column)
{
    public override IEnumerable<JinjaNode> Children => Of(Call, Parameters.Select(p => p.Default), Body);
}

internal sealed record FilterBlockStmt(FilterExpr Filter, IReadOnlyList<Stmt> Body, int Line, int Column) : Stmt(Line, Column)
{
    public override IEnumerable<JinjaNode> Children => Of(Filter, Body);
}

/// <summary>include, import, from-import and extends: the tags that load another template.</summary>
internal sealed record LoadStmt(string Tag, Expr Template, IReadOnlyList<string> Names, int Line, int Column) : Stmt(Line, Column)
{
    public override IEnumerable<JinjaNode> Children => [Template];
}

internal sealed record BlockStmt(string Name, IReadOnlyList<Stmt> Body, int Line, int Column) : Stmt(Line, Column)
{
    public override IEnumerable<JinjaNode> Children => Body;
}

/// <summary><c>{% do expr %}</c>, <c>{% print expr %}</c>.</summary>
internal sealed record ExprStmt(string Tag, Expr Value, int Line, int Column) : Stmt(Line, Column)
{
    public override IEnumerable<JinjaNode> Children => [Value];
}

internal sealed record WithStmt(IReadOnlyList<(Expr Target, Expr Value)> Assignments, IReadOnlyList<Stmt> Body, int Line, int Column) : Stmt(Line, Column)
{
    public override IEnumerable<JinjaNode> Children => Of(Assignments.SelectMany(a => new JinjaNode[] { a.Target, a.Value }), Body);
}

/// <summary>A tag with a body and no other meaning to the analysis: autoescape, generation.</summary>
internal sealed record ScopedStmt(string Tag, Expr? Argument, IReadOnlyList<Stmt> Body, int Line, int Column) : Stmt(Line, Column)
{
    public override IEnumerable<JinjaNode> Children => Of(Argument, Body);
}

/// <summary>break / continue.</summary>
internal sealed record LoopControlStmt(string Tag, int Line, int Column) : Stmt(Line, Column)
{
    public override IEnumerable<JinjaNode> Children => [];
}
