using System.Collections.Immutable;

namespace Rampart.Scanning.Analyzers.Gguf.Jinja;

/// <summary>Constant folding: the strings an expression may evaluate to, through variables, filters, concatenation, formatting and slices.</summary>
internal sealed partial class TemplateAnalysis
{
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
}
