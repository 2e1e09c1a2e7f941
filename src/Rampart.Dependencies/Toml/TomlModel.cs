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
