using System.Collections.Immutable;
using System.Globalization;
using System.Text;

namespace Rampart.Scanning.Analyzers.Gguf.Jinja;

/// <summary>
/// What constant folding knows about an expression's value. <see cref="Built"/> says the value was assembled at
/// render time (concatenation, join, format, a variable...) rather than written as one literal at the place of use.
/// </summary>
internal abstract record JValue(bool Built)
{
    public static readonly JValue Unknown = new JUnknown(false);

    public static readonly JValue UnknownBuilt = new JUnknown(true);
}

internal sealed record JStr(string Value, bool Built) : JValue(Built);

internal sealed record JNum(double Value, bool IsInteger, bool Built) : JValue(Built);

internal sealed record JBool(bool Value, bool Built) : JValue(Built);

internal sealed record JNone(bool Built) : JValue(Built);

internal sealed record JList(ImmutableArray<JValue> Items, bool Built) : JValue(Built);

/// <summary>A dict literal with folded string keys.</summary>
internal sealed record JDict(ImmutableDictionary<string, JValue> Items, bool Built) : JValue(Built);

/// <summary>One of several values (a variable assigned in several places, a loop variable, an inline if).</summary>
internal sealed record JAny(ImmutableArray<JValue> Options, bool Built) : JValue(Built);

/// <summary>Not known. When <see cref="JValue.Built"/> is set, it is a string assembled at render time that could not be folded.</summary>
internal sealed record JUnknown(bool Built) : JValue(Built);

/// <summary>Helpers over folded values: alternatives, Python-like string conversion and operations.</summary>
internal static class JValues
{
    /// <summary>Most alternatives kept for one value; beyond this it becomes unknown.</summary>
    public const int MaxOptions = 32;

    /// <summary>Longest folded string; longer results become unknown.</summary>
    public const int MaxString = 4096;

    /// <summary>Longest folded list.</summary>
    public const int MaxList = 256;

    public static IEnumerable<JValue> Expand(JValue value) => value is JAny any ? any.Options : [value];

    public static JValue Any(IEnumerable<JValue> values)
    {
        var list = values.SelectMany(Expand).Distinct().ToList();
        if (list.Count == 1)
        {
            return list[0];
        }

        if (list.Count == 0 || list.Count > MaxOptions)
        {
            return new JUnknown(list.Any(v => v.Built));
        }

        return new JAny([.. list], list.Any(v => v.Built));
    }

    /// <summary>Applies <paramref name="op"/> to every combination of alternatives.</summary>
    public static JValue Lift(JValue a, Func<JValue, JValue> op) => Any(Expand(a).Select(op).ToList());

    public static JValue Lift(JValue a, JValue b, Func<JValue, JValue, JValue> op)
    {
        var left = Expand(a).ToList();
        var right = Expand(b).ToList();
        if (left.Count * right.Count > MaxOptions)
        {
            return new JUnknown(true);
        }

        return Any(left.SelectMany(x => right.Select(y => op(x, y))).ToList());
    }

    /// <summary>Python's str() of a folded value, or null when unknown.</summary>
    public static string? Str(JValue value) => value switch
    {
        JStr s => s.Value,
        JNum n => n.IsInteger ? ((long)n.Value).ToString(CultureInfo.InvariantCulture) : n.Value.ToString("R", CultureInfo.InvariantCulture),
        JBool b => b.Value ? "True" : "False",
        JNone => "None",
        _ => null,
    };

    public static JValue String(string? value, bool built = true) =>
        value is null ? new JUnknown(built) : value.Length > MaxString ? new JUnknown(true) : new JStr(value, built);

    /// <summary>The items of an iterable value: a list's items or a string's characters.</summary>
    public static ImmutableArray<JValue>? Items(JValue value) => value switch
    {
        JList l => l.Items,
        JStr s when s.Value.Length <= MaxList => [.. s.Value.Select(c => (JValue)new JStr(c.ToString(), true))],
        JDict d => [.. d.Items.Keys.Select(k => (JValue)new JStr(k, true))],
        _ => null,
    };

    public static JValue Join(JValue iterable, string separator)
    {
        if (Items(iterable) is not { } items)
        {
            return new JUnknown(true);
        }

        var combos = new List<List<string>> { new() };
        foreach (var item in items)
        {
            var options = Expand(item).Select(Str).ToList();
            if (options.Any(o => o is null) || combos.Count * options.Count > MaxOptions)
            {
                return new JUnknown(true);
            }

            combos = [.. combos.SelectMany(c => options.Select(o => new List<string>(c) { o! }))];
        }

        return Any(combos.Select(c => String(string.Join(separator, c))));
    }

    /// <summary>Python's <c>format % args</c> for the conversions a name builder would use (%s %r %d %i %c %%).</summary>
    public static JValue Percent(string format, JValue args)
    {
        var values = args is JList { } l ? l.Items : [args];
        var output = new StringBuilder();
        var next = 0;
        for (var i = 0; i < format.Length; i++)
        {
            if (format[i] != '%')
            {
                output.Append(format[i]);
                continue;
            }

            if (++i >= format.Length)
            {
                return new JUnknown(true);
            }

            var conversion = format[i];
            if (conversion == '%')
            {
                output.Append('%');
                continue;
            }

            if (next >= values.Length)
            {
                return new JUnknown(true);
            }

            var value = values[next++];
            switch (conversion)
            {
                case 's' or 'r' or 'd' or 'i':
                    if (Str(value) is not { } text)
                    {
                        return new JUnknown(true);
                    }

                    output.Append(conversion == 'r' && value is JStr ? "'" + text + "'" : text);
                    break;
                case 'c':
                    if (value is JNum { IsInteger: true } n && n.Value is >= 0 and <= 0x10FFFF and not (>= 0xD800 and <= 0xDFFF))
                    {
                        output.Append(char.ConvertFromUtf32((int)n.Value));
                    }
                    else if (value is JStr { Value.Length: 1 } c)
                    {
                        output.Append(c.Value);
                    }
                    else
                    {
                        return new JUnknown(true);
                    }

                    break;
                default:
                    return new JUnknown(true);
            }
        }

        return String(output.ToString());
    }

    /// <summary>Python's <c>str.format</c> for plain <c>{}</c>, <c>{0}</c> and <c>{name}</c> fields.</summary>
    public static JValue Format(string format, IReadOnlyList<JValue> positional, IReadOnlyDictionary<string, JValue> keywords)
    {
        var output = new StringBuilder();
        var auto = 0;
        for (var i = 0; i < format.Length; i++)
        {
            var c = format[i];
            if (c == '{' && i + 1 < format.Length && format[i + 1] == '{')
            {
                output.Append('{');
                i++;
                continue;
            }

            if (c == '}' && i + 1 < format.Length && format[i + 1] == '}')
            {
                output.Append('}');
                i++;
                continue;
            }

            if (c != '{')
            {
                output.Append(c);
                continue;
            }

            var close = format.IndexOf('}', i);
            if (close < 0)
            {
                return new JUnknown(true);
            }

            var field = format[(i + 1)..close];
            JValue? value = field.Length == 0 ? (auto < positional.Count ? positional[auto++] : null)
                : int.TryParse(field, NumberStyles.None, CultureInfo.InvariantCulture, out var index) ? (index < positional.Count ? positional[index] : null)
                : keywords.GetValueOrDefault(field);
            if (value is null || Str(value) is not { } text)
            {
                return new JUnknown(true);
            }

            output.Append(text);
            i = close;
        }

        return String(output.ToString());
    }

    /// <summary>Python slicing of a string or list.</summary>
    public static JValue Slice(JValue target, long? start, long? stop, long? step)
    {
        var length = target switch { JStr s => s.Value.Length, JList l => l.Items.Length, _ => -1 };
        if (length < 0 || step == 0)
        {
            return new JUnknown(target is JStr || target.Built);
        }

        var s1 = step ?? 1;
        var indexes = new List<int>();
        long Clamp(long? v, long dflt, bool forStart)
        {
            if (v is null)
            {
                return dflt;
            }

            var x = v.Value < 0 ? v.Value + length : v.Value;
            return s1 > 0 ? Math.Clamp(x, 0, length) : Math.Clamp(x, -1, length - 1);
        }

        var from = Clamp(start, s1 > 0 ? 0 : length - 1, true);
        var to = Clamp(stop, s1 > 0 ? length : -1, false);
        for (var i = from; s1 > 0 ? i < to : i > to; i += s1)
        {
            indexes.Add((int)i);
        }

        return target switch
        {
            JStr s => new JStr(new string([.. indexes.Select(i => s.Value[i])]), true),
            JList l => new JList([.. indexes.Select(i => l.Items[i])], true),
            _ => new JUnknown(true),
        };
    }

    public static JValue Index(JValue target, long index)
    {
        switch (target)
        {
            case JStr s:
                var i = index < 0 ? index + s.Value.Length : index;
                return i >= 0 && i < s.Value.Length ? new JStr(s.Value[(int)i].ToString(), true) : JValue.Unknown;
            case JList l:
                var j = index < 0 ? index + l.Items.Length : index;
                return j >= 0 && j < l.Items.Length ? l.Items[(int)j] with { Built = true } : JValue.Unknown;
            default:
                return JValue.Unknown;
        }
    }

    public static JValue MarkBuilt(JValue value) => value switch
    {
        JAny a => new JAny([.. a.Options.Select(MarkBuilt)], a.Options.Any(o => o is not JUnknown || o.Built)),
        JUnknown => value,
        _ => value with { Built = true },
    };
}
