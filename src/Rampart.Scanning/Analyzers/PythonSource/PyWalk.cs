namespace Rampart.Scanning.Analyzers.PythonSource;

/// <summary>
/// The one walker over <see cref="PyParser"/>'s nodes, for every pass that reads a tree (<see cref="PyFacts"/>, the
/// pickle capability graph). A pass is a pair of callbacks: given a statement or an expression (and the state it was
/// scheduled with, a scope for instance), a callback does its own work and schedules what to visit next: children in
/// the order it wants them, each with its state, and actions to run once they are done. Scheduled items run before
/// anything scheduled earlier (depth first, in the order given), exactly as a recursive walk would visit them.
/// <para>
/// The walker keeps its own stack, so no tree can overflow the thread's stack: a 100,000-term concatenation or a long
/// attribute chain is an expression that deep. Statements nest no deeper than the parser reads
/// (<see cref="PyParser.MaxDepth"/>); a tree built otherwise is not followed past that many nested bodies, and
/// <see cref="DepthLimitReached"/> records that it was cut.
/// </para>
/// </summary>
/// <typeparam name="TState">What the pass carries down the tree with each node (use a placeholder type when nothing).</typeparam>
internal sealed class PyWalk<TState>
{
    private readonly Stack<Item> _stack = new();
    private readonly List<Item> _scheduled = [];
    private readonly Action<PyWalk<TState>, Stmt, TState> _statement;
    private readonly Action<PyWalk<TState>, Expr, TState> _expression;
    private int _nesting;

    /// <param name="statement">Called for each statement; schedules its bodies and expressions.</param>
    /// <param name="expression">Called for each expression; <see cref="Children"/> schedules the usual ones.</param>
    public PyWalk(Action<PyWalk<TState>, Stmt, TState> statement, Action<PyWalk<TState>, Expr, TState> expression)
    {
        _statement = statement;
        _expression = expression;
    }

    /// <summary>Some body nested deeper than <see cref="PyParser.MaxDepth"/> was not visited.</summary>
    public bool DepthLimitReached { get; private set; }

    /// <summary>Visits <paramref name="body"/> with <paramref name="state"/> and everything the callbacks schedule.</summary>
    public void Run(IReadOnlyList<Stmt> body, TState state, CancellationToken cancellationToken = default)
    {
        Body(body, state);
        Drain(cancellationToken);
    }

    /// <summary>Visits <paramref name="root"/> with <paramref name="state"/> and everything the callbacks schedule.</summary>
    public void Run(Expr root, TState state, CancellationToken cancellationToken = default)
    {
        Expression(root, state);
        Drain(cancellationToken);
    }

    /// <summary>Schedules the statements of a nested body (one level deeper).</summary>
    public void Body(IReadOnlyList<Stmt> body, TState state)
    {
        ArgumentNullException.ThrowIfNull(body);
        if (_nesting > PyParser.MaxDepth)
        {
            DepthLimitReached = true;
            return;
        }

        if (body.Count == 0)
        {
            return;
        }

        _scheduled.Add(new Item(null, null, null, state, Enter: true));
        foreach (var stmt in body)
        {
            _scheduled.Add(new Item(stmt, null, null, state));
        }

        _scheduled.Add(new Item(null, null, null, state, Leave: true));
    }

    /// <summary>Schedules one expression (nothing for null).</summary>
    public void Expression(Expr? expr, TState state)
    {
        if (expr is not null)
        {
            _scheduled.Add(new Item(null, expr, null, state));
        }
    }

    /// <summary>Schedules an action to run after everything scheduled before it by the same callback.</summary>
    public void Then(Action action) => _scheduled.Add(new Item(null, null, action, default!));

    /// <summary>
    /// Schedules what a call evaluates besides the name it calls: the value an attribute callee is looked up on
    /// (<c>a.b</c> in <c>a.b.c()</c>) or a computed callee, then the arguments. The callee's own name is the caller's
    /// business: it is the call.
    /// </summary>
    public void CallChildren(CallExpr call, TState state)
    {
        ArgumentNullException.ThrowIfNull(call);
        if (call.Func is AttributeExpr attribute)
        {
            Expression(attribute.Value, state);
        }
        else if (call.Func is not NameExpr)
        {
            Expression(call.Func, state);
        }

        foreach (var arg in call.Args)
        {
            Expression(arg.Value, state);
        }
    }

    /// <summary>Schedules the sub-expressions of <paramref name="expr"/> in source order, all with <paramref name="state"/>.</summary>
    public void Children(Expr expr, TState state)
    {
        switch (expr)
        {
            case CallExpr call:
                Expression(call.Func, state);
                foreach (var arg in call.Args)
                {
                    Expression(arg.Value, state);
                }

                break;
            case AttributeExpr a:
                Expression(a.Value, state);
                break;
            case SubscriptExpr s:
                Expression(s.Value, state);
                Expression(s.Index, state);
                break;
            case BinaryExpr b:
                Expression(b.Left, state);
                Expression(b.Right, state);
                break;
            case UnaryExpr u:
                Expression(u.Operand, state);
                break;
            case CollectionExpr c:
                foreach (var item in c.Items)
                {
                    Expression(item, state);
                }

                break;
            case LambdaExpr lambda:
                Expression(lambda.Body, state);
                break;
            case NamedExpr named:
                Expression(named.Value, state);
                break;
            case OtherExpr other:
                foreach (var child in other.Children)
                {
                    Expression(child, state);
                }

                break;
            case FStringExpr f:
                foreach (var part in f.Parts)
                {
                    Expression(part.Value, state);
                }

                break;
        }
    }

    private void Drain(CancellationToken cancellationToken)
    {
        PushScheduled();
        var steps = 0;
        while (_stack.Count > 0)
        {
            if ((++steps & 0x3FF) == 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
            }

            var item = _stack.Pop();
            if (item.Enter)
            {
                _nesting++;
            }
            else if (item.Leave)
            {
                _nesting--;
            }
            else if (item.Action is { } action)
            {
                action();
            }
            else if (item.Stmt is { } stmt)
            {
                _statement(this, stmt, item.State);
            }
            else
            {
                _expression(this, item.Expr!, item.State);
            }

            PushScheduled();
        }
    }

    /// <summary>What a callback scheduled goes on the stack in reverse, so that it is visited in the order given.</summary>
    private void PushScheduled()
    {
        for (var i = _scheduled.Count - 1; i >= 0; i--)
        {
            _stack.Push(_scheduled[i]);
        }

        _scheduled.Clear();
    }

    private readonly record struct Item(Stmt? Stmt, Expr? Expr, Action? Action, TState State, bool Enter = false, bool Leave = false);
}
