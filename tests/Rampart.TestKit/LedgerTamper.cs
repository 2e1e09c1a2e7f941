using Xunit;

namespace Rampart.TestKit;

/// <summary>How a stored value is damaged.</summary>
public enum Damage
{
    /// <summary>Stored as text (for an integer column, the same number as text).</summary>
    Text,

    /// <summary>Stored as a real number.</summary>
    Real,

    /// <summary>Stored as an integer where text or a blob belongs.</summary>
    IntegerValue,

    /// <summary>Stored as a blob where text belongs.</summary>
    Blob,

    /// <summary>NULL.</summary>
    Null,

    /// <summary>A negative number.</summary>
    Negative,

    /// <summary>A number past the end of what it indexes.</summary>
    TooLarge,

    /// <summary>Cut short.</summary>
    Truncated,

    /// <summary>Made longer.</summary>
    Extended,

    /// <summary>Empty text or blob.</summary>
    Empty,

    /// <summary>A second row with the same key.</summary>
    Duplicate,

    /// <summary>The row deleted.</summary>
    Gap,
}

/// <summary>The SQL dialect a tamper is written in.</summary>
public enum SqlDialect
{
    /// <summary>SQLite: a table rebuilt without declared types holds any storage class in any row.</summary>
    Sqlite,

    /// <summary>PostgreSQL: a storage type can only be changed for a whole column (ALTER COLUMN ... TYPE).</summary>
    Postgres,
}

/// <summary>
/// One cell of the ledger tamper matrix: a column of a table of a Rampart ledger (entries, nodes, checkpoints, meta),
/// damaged one way with plain SQL as someone with the database would, and what `ledger verify` must then report.
/// </summary>
public sealed record TamperCase(string Table, string Column, Damage Damage)
{
    /// <summary>The entries of the ledger the tests build (entries 0..9 with a checkpoint of size 10).</summary>
    public const int Entries = 10;

    /// <summary>The row that is damaged: entry 3, Merkle node 1/1 (entries 2..3), the checkpoint of size 10.</summary>
    public string Where => Table switch
    {
        "ledger_entries" => "seq = 3",
        "ledger_nodes" => "level = 1 AND idx = 1",
        "ledger_checkpoints" => $"size = {Entries}",
        _ => "key = 'origin'",
    };

    /// <summary>Whether the damage changes a storage type (PostgreSQL can only do that for a whole column).</summary>
    public bool ChangesType => Damage is Damage.Text or Damage.Real or Damage.IntegerValue or Damage.Blob;

    /// <summary>How verify names the damaged row (in PostgreSQL a changed type damages every row, so the first is named).</summary>
    public string Name(SqlDialect dialect) => (Table, Damage) switch
    {
        ("ledger_entries", _) when ChangesType && dialect == SqlDialect.Postgres => "entry 0",
        ("ledger_entries", Damage.Negative) => "entry -3",
        ("ledger_entries", _) => "entry 3",
        ("ledger_nodes", _) => "Merkle node",
        _ => "checkpoint",
    };

    /// <summary>The first bad entry verify must give.</summary>
    public long? FirstBadEntry(SqlDialect dialect) => (Table, Damage) switch
    {
        ("ledger_entries" or "ledger_nodes", _) when ChangesType && dialect == SqlDialect.Postgres => 0,
        ("ledger_entries", Damage.Negative) => -3,
        ("ledger_entries", _) => 3,
        ("ledger_nodes", _) => 2,
        _ => null,
    };

    /// <summary>Whether verify's message must name the column (a damaged storage type, NULL, or a wrong length).</summary>
    public bool NamesColumn => ChangesType || Damage is Damage.Null or Damage.Empty || (IsBlob && Damage is Damage.Truncated or Damage.Extended);

    /// <summary>
    /// The SQL that damages the row: first statements that lift the table's constraints (so NULLs and duplicates can be
    /// stored, and in SQLite any storage class), then the damage itself.
    /// </summary>
    public IReadOnlyList<string> Sql(SqlDialect dialect)
    {
        var sql = new List<string>(Loosen(Table, dialect));
        var c = Column;
        var pg = dialect == SqlDialect.Postgres;
        if (ChangesType && pg)
        {
            var (type, expression) = Damage switch
            {
                Damage.Text => ("text", IsBlob ? $"encode({c}, 'hex')" : $"{c}::text"),
                Damage.Real => ("double precision", IsInteger ? $"{c} + 0.5" : "2.5"),
                Damage.IntegerValue => ("bigint", "42"),
                _ => ("bytea", $"convert_to({c}, 'UTF8')"),
            };
            sql.Add($"ALTER TABLE {Table} ALTER COLUMN {c} TYPE {type} USING {expression}");
            return sql;
        }

        var keep = IsBlob && c is "signature" or "public_key" ? 4 : 31;
        string? value = Damage switch
        {
            Damage.Text => IsBlob ? $"hex({c})" : $"CAST({c} AS TEXT)",
            Damage.Real => IsInteger ? $"{c} + 0.5" : "2.5",
            Damage.IntegerValue => "42",
            Damage.Blob => $"CAST({c} AS BLOB)",
            Damage.Null => "NULL",
            Damage.Negative => $"-{c}",
            Damage.TooLarge => $"{c} + 1000",
            Damage.Truncated when pg => IsBlob ? $"substring({c} from 1 for {keep})" : $"substring({c} from 1 for 20)",
            Damage.Truncated => IsBlob ? $"substr({c}, 1, {keep})" : $"substr({c}, 1, 20)",
            Damage.Extended when pg => c == "signature" ? $"{c} || decode(repeat('00', 200), 'hex')" : $"{c} || '\\x00'::bytea",
            Damage.Extended => c == "signature" ? $"unhex(hex({c}) || hex(zeroblob(200)))" : $"unhex(hex({c}) || '00')",
            Damage.Empty when IsBlob => pg ? "'\\x'::bytea" : "x''",
            Damage.Empty => "''",
            _ => null,
        };
        sql.Add(Damage switch
        {
            Damage.Duplicate => $"INSERT INTO {Table} SELECT * FROM {Table} WHERE {Where}",
            Damage.Gap => $"DELETE FROM {Table} WHERE {Where}",
            _ => $"UPDATE {Table} SET {c} = {value} WHERE {Where}",
        });
        return sql;
    }

    /// <summary>Lifts a ledger table's primary key and NOT NULL constraints (SQLite: rebuilds it with untyped columns).</summary>
    public static IEnumerable<string> Loosen(string table, SqlDialect dialect)
    {
        var columns = table switch
        {
            "ledger_entries" => new[] { "seq", "record", "signature", "leaf_hash" },
            "ledger_nodes" => ["level", "idx", "hash"],
            "ledger_checkpoints" => ["size", "root", "note", "public_key"],
            _ => ["key", "value"],
        };
        if (dialect == SqlDialect.Postgres)
        {
            yield return $"ALTER TABLE {table} DROP CONSTRAINT IF EXISTS {table}_pkey";
            foreach (var column in columns)
            {
                yield return $"ALTER TABLE {table} ALTER COLUMN {column} DROP NOT NULL";
            }

            yield break;
        }

        yield return $"CREATE TABLE loose_copy ({string.Join(", ", columns)})";
        yield return $"INSERT INTO loose_copy SELECT * FROM {table}";
        yield return $"DROP TABLE {table}";
        yield return $"ALTER TABLE loose_copy RENAME TO {table}";
    }

    /// <summary>Every column of every table, each way it can be damaged.</summary>
    public static IEnumerable<TamperCase> All()
    {
        var integers = new[] { Damage.Text, Damage.Real, Damage.Null, Damage.Negative, Damage.TooLarge, Damage.Duplicate };
        var hashes = new[] { Damage.Text, Damage.IntegerValue, Damage.Real, Damage.Null, Damage.Truncated, Damage.Extended, Damage.Empty };
        var texts = new[] { Damage.Blob, Damage.IntegerValue, Damage.Null, Damage.Truncated, Damage.Empty };
        foreach (var d in integers.Append(Damage.Gap))
        {
            yield return new("ledger_entries", "seq", d);
        }

        foreach (var d in texts)
        {
            yield return new("ledger_entries", "record", d);
        }

        foreach (var d in hashes)
        {
            yield return new("ledger_entries", "signature", d);
            yield return new("ledger_entries", "leaf_hash", d);
            yield return new("ledger_nodes", "hash", d);
            yield return new("ledger_checkpoints", "root", d);
            yield return new("ledger_checkpoints", "public_key", d);
        }

        foreach (var d in integers)
        {
            yield return new("ledger_nodes", "level", d);
            yield return new("ledger_nodes", "idx", d);
            yield return new("ledger_checkpoints", "size", d);
        }

        yield return new("ledger_nodes", "hash", Damage.Gap);
        foreach (var d in texts)
        {
            yield return new("ledger_checkpoints", "note", d);
        }
    }

    /// <summary>The matrix as theory data.</summary>
    public static TheoryData<string, string, Damage> Data()
    {
        var data = new TheoryData<string, string, Damage>();
        foreach (var c in All())
        {
            data.Add(c.Table, c.Column, c.Damage);
        }

        return data;
    }

    /// <summary>The ways the meta table's origin can be damaged (verify cannot even name the log then).</summary>
    public static TheoryData<Damage> OriginDamage() => new(Damage.Blob, Damage.IntegerValue, Damage.Null, Damage.Duplicate, Damage.Empty);

    /// <summary>A damage of the log's origin in ledger_meta.</summary>
    public static TamperCase Origin(Damage damage) => new("ledger_meta", "value", damage);

    /// <summary>Whether a column holds a blob (else an integer or text).</summary>
    public bool IsBlob => Column is "signature" or "leaf_hash" or "hash" or "root" or "public_key";

    /// <summary>Whether a column holds an integer.</summary>
    public bool IsInteger => Column is "seq" or "level" or "idx" or "size";
}

