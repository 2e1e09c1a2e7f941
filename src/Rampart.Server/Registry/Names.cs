using System.Text.RegularExpressions;

namespace Rampart.Server.Registry;

/// <summary>
/// What a project, artifact, version or file name may be: letters, digits and . _ - (a file name may also hold + and
/// spaces), starting with a letter or digit, never "..". Paths, control characters and markup never become names.
/// </summary>
public static partial class Names
{
    public static bool IsName(string? text) => text is not null && NamePattern().IsMatch(text) && !text.Contains("..", StringComparison.Ordinal);

    public static bool IsFileName(string? text) => text is not null && FilePattern().IsMatch(text) && !text.Contains("..", StringComparison.Ordinal);

    /// <summary>Kinds of registry artifacts.</summary>
    public static bool IsKind(string? kind) => kind is "model" or "dataset";

    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$", RegexOptions.CultureInvariant)]
    private static partial Regex NamePattern();

    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9._+ -]{0,199}$", RegexOptions.CultureInvariant)]
    private static partial Regex FilePattern();
}
