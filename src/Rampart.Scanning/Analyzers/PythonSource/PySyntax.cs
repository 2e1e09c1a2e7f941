namespace Rampart.Scanning.Analyzers.PythonSource;

/// <summary>A position in the source: 1-based line and column (UTF-16 code units).</summary>
internal readonly record struct Pos(int Line, int Column)
{
    public static Pos Of(Token t) => new(t.Line, t.Column);
}

// ---- Expressions ----------------------------------------------------------------------------------------------

internal abstract record Expr(Pos At);

internal sealed record NameExpr(Pos At, string Id) : Expr(At);

internal sealed record AttributeExpr(Pos At, Expr Value, string Attr) : Expr(At);

/// <summary>A literal: <see cref="Kind"/> is "str", "bytes", "int", "float", "complex", "None", "True", "False", "Ellipsis".</summary>
internal sealed record ConstantExpr(Pos At, string Kind, string Text) : Expr(At);

/// <summary>An f-string (or an implicit concatenation containing one): constant parts and nested expressions.</summary>
internal sealed record FStringExpr(Pos At, IReadOnlyList<FStringPart> Parts) : Expr(At);

internal sealed record FStringPart(string? Constant, Expr? Value);

internal sealed record Argument(string? Keyword, int Star, Expr Value);

internal sealed record CallExpr(Pos At, Expr Func, IReadOnlyList<Argument> Args) : Expr(At);

internal sealed record SubscriptExpr(Pos At, Expr Value, Expr Index) : Expr(At);

internal sealed record BinaryExpr(Pos At, string Op, Expr Left, Expr Right) : Expr(At);

internal sealed record UnaryExpr(Pos At, string Op, Expr Operand) : Expr(At);

/// <summary>Tuples, lists, sets, dicts (keys and values interleaved, null key for **), comprehensions, slices.</summary>
internal sealed record CollectionExpr(Pos At, string Kind, IReadOnlyList<Expr?> Items) : Expr(At);

internal sealed record LambdaExpr(Pos At, IReadOnlyList<Parameter> Params, Expr Body) : Expr(At);

internal sealed record NamedExpr(Pos At, string Target, Expr Value) : Expr(At);

/// <summary>Anything else (conditional, await, yield, starred, comparisons): its sub-expressions only.</summary>
internal sealed record OtherExpr(Pos At, string Kind, IReadOnlyList<Expr> Children) : Expr(At);

internal sealed record Parameter(string Name, int Star, Expr? Annotation, Expr? Default);

// ---- Statements -----------------------------------------------------------------------------------------------

internal abstract record Stmt(Pos At);

internal sealed record ImportAlias(string Name, string? AsName, Pos At);

internal sealed record ImportStmt(Pos At, IReadOnlyList<ImportAlias> Names) : Stmt(At);

internal sealed record ImportFromStmt(Pos At, string? Module, int Level, IReadOnlyList<ImportAlias> Names) : Stmt(At);

/// <summary>Assignment (also augmented "op=" and annotated); <see cref="Value"/> null for a bare annotation.</summary>
internal sealed record AssignStmt(Pos At, IReadOnlyList<Expr> Targets, Expr? Value, string Op) : Stmt(At);

internal sealed record ExprStmt(Pos At, Expr Value) : Stmt(At);

internal sealed record FunctionDef(Pos At, string Name, IReadOnlyList<Expr> Decorators, IReadOnlyList<Parameter> Params, Expr? Returns, IReadOnlyList<Stmt> Body, bool IsAsync) : Stmt(At);

internal sealed record ClassDef(Pos At, string Name, IReadOnlyList<Expr> Decorators, IReadOnlyList<Argument> Bases, IReadOnlyList<Stmt> Body) : Stmt(At);

/// <summary>
/// if/while/for/with/try/match/async blocks: their header expressions, bound targets and nested bodies. An "if" with
/// elif branches is one block: Header[i] is the test of Bodies[i], and the last body is the else (empty when absent).
/// </summary>
internal sealed record BlockStmt(Pos At, string Kind, IReadOnlyList<Expr> Header, IReadOnlyList<WithItem> Items, IReadOnlyList<IReadOnlyList<Stmt>> Bodies) : Stmt(At);

internal sealed record WithItem(Expr Context, Expr? Target);

internal sealed record ReturnStmt(Pos At, Expr? Value) : Stmt(At);

/// <summary>pass, break, raise, global, del, assert, type alias...: sub-expressions only.</summary>
internal sealed record SimpleStmt(Pos At, string Kind, IReadOnlyList<Expr> Children) : Stmt(At);

/// <summary>A statement the parser could not read; any indented block after it is still parsed and walked.</summary>
internal sealed record ErrorStmt(Pos At, string Message, IReadOnlyList<Stmt> Body) : Stmt(At);

internal sealed record PyModule(IReadOnlyList<Stmt> Body, IReadOnlyList<string> Errors, int TokenErrors)
{
    /// <summary>Some statement or block was nested deeper than <see cref="PyParser.MaxDepth"/> and was not read.</summary>
    public bool DepthLimitReached { get; init; }
}
