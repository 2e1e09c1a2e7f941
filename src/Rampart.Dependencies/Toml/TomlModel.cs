namespace Rampart.Dependencies.Toml;

/// <summary>A TOML table: keys in document order. Values are string, long, double, bool, <see cref="TomlDateTime"/>,
/// <see cref="TomlArray"/> or <see cref="TomlTable"/>.</summary>
public sealed class TomlTable : Dictionary<string, object>
{
    public TomlTable()
        : base(StringComparer.Ordinal)
    {
    }

    internal TableOrigin Origin { get; set; }

    /// <summary>Where the table starts: its [header], its inline '{', or the key that made it.</summary>
    internal int Position { get; set; } = -1;

    /// <summary>The document's line index, shared by every table and array of one document.</summary>
    internal TomlLines? Lines { get; set; }

    /// <summary>Where each key was written, in the order the keys were added (the dictionary keeps that order).</summary>
    internal List<int>? KeyPositions { get; set; }

    /// <summary>The 1-based line the table starts on (0 when not read from a document).</summary>
    public int Line => Lines?.LineOf(Position) ?? 0;

    /// <summary>The 1-based line <paramref name="key"/> was written on, else the table's own line (0 when unknown).</summary>
    public int LineOf(string key)
    {
        if (KeyPositions is { } positions && Lines is { } lines && positions.Count == Count)
        {
            var index = 0;
            foreach (var k in Keys)
            {
                if (k == key)
                {
                    return lines.LineOf(positions[index]);
                }

                index++;
            }
        }

        return Line;
    }

    /// <summary>Inline tables are complete when written; nothing may be added later.</summary>
    internal bool Sealed { get; set; }

    public string? GetString(string key) => TryGetValue(key, out var v) ? v as string : null;

    public TomlTable? GetTable(string key) => TryGetValue(key, out var v) ? v as TomlTable : null;

    public TomlArray? GetArray(string key) => TryGetValue(key, out var v) ? v as TomlArray : null;
}

internal enum TableOrigin
{
    /// <summary>Created on the way to a [header] or [[header]] naming a table below it.</summary>
    Implicit,

    /// <summary>Named by a [header].</summary>
    Header,

    /// <summary>Created by a dotted key (a.b = 1).</summary>
    Dotted,

    /// <summary>An inline table, or an element of an array of tables.</summary>
    Value,
}

/// <summary>A TOML array; arrays written as values are sealed, arrays of tables ([[x]]) grow.</summary>
public sealed class TomlArray : List<object>
{
    internal bool IsArrayOfTables { get; init; }

    /// <summary>Where each item was written (for an array of tables: each [[header]]).</summary>
    internal List<int>? ItemPositions { get; set; }

    internal TomlLines? Lines { get; set; }

    /// <summary>The 1-based line item <paramref name="index"/> was written on (0 when unknown).</summary>
    public int LineOf(int index) =>
        ItemPositions is { } positions && Lines is { } lines && index >= 0 && index < positions.Count ? lines.LineOf(positions[index]) : 0;

    internal TomlArray WithAll(IEnumerable<object> items)
    {
        AddRange(items);
        return this;
    }

    internal TomlArray With(object item)
    {
        Add(item);
        return this;
    }
}

/// <summary>The four TOML date-time kinds, kept as their normalised text ("1979-05-27T07:32:00Z").</summary>
public sealed record TomlDateTime(TomlDateTimeKind Kind, string Text)
{
    public override string ToString() => Text;
}

public enum TomlDateTimeKind
{
    OffsetDateTime,
    LocalDateTime,
    LocalDate,
    LocalTime,
}

/// <summary>A malformed TOML document, with the 1-based line and column where reading stopped.</summary>
public sealed class TomlException : Exception
{
    public TomlException(string message, int line, int column)
        : base($"{message} (line {line}, column {column})")
    {
        Reason = message;
        Line = line;
        Column = column;
    }

    public TomlException()
    {
        Reason = "";
    }

    public TomlException(string message)
        : base(message)
    {
        Reason = message;
    }

    public TomlException(string message, Exception innerException)
        : base(message, innerException)
    {
        Reason = message;
    }

    public string Reason { get; }

    public int Line { get; }

    public int Column { get; }
}

/// <summary>Turns character positions of one document into 1-based line numbers (the index is built on first use).</summary>
internal sealed class TomlLines(string text)
{
    private int[]? _starts;

    public int LineOf(int position)
    {
        if (position < 0)
        {
            return 0;
        }

        _starts ??= Starts(text);
        var index = Array.BinarySearch(_starts, position);
        return (index >= 0 ? index : ~index - 1) + 1;
    }

    private static int[] Starts(string text)
    {
        var starts = new List<int> { 0 };
        for (var i = text.IndexOf('\n', StringComparison.Ordinal); i >= 0; i = text.IndexOf('\n', i + 1))
        {
            starts.Add(i + 1);
        }

        return [.. starts];
    }
}
