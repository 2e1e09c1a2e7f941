namespace Rampart.Core.Rules;

/// <summary>
/// A glob over dotted names: '*' matches any run of characters (dots included), everything else literally and
/// case-sensitively, as Python resolves names. "os.*" matches "os.system" but not "os" or "oscar.x".
/// </summary>
public sealed class NamePattern
{
    private readonly string[] _parts;

    public NamePattern(string pattern)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(pattern);
        Pattern = pattern;
        _parts = pattern.Split('*');
    }

    public string Pattern { get; }

    public bool IsExact => _parts.Length == 1;

    public bool IsMatch(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (_parts.Length == 1)
        {
            return string.Equals(Pattern, name, StringComparison.Ordinal);
        }

        var first = _parts[0];
        var last = _parts[^1];
        if (name.Length < first.Length + last.Length
            || !name.StartsWith(first, StringComparison.Ordinal)
            || !name.EndsWith(last, StringComparison.Ordinal))
        {
            return false;
        }

        var position = first.Length;
        var end = name.Length - last.Length;
        for (var i = 1; i < _parts.Length - 1; i++)
        {
            var part = _parts[i];
            if (part.Length == 0)
            {
                continue;
            }

            var found = name.IndexOf(part, position, end - position, StringComparison.Ordinal);
            if (found < 0)
            {
                return false;
            }

            position = found + part.Length;
        }

        return true;
    }

    public override string ToString() => Pattern;
}
