using System.Collections.Immutable;
using System.Text;
using System.Text.RegularExpressions;
using Rampart.Core.IO;

namespace Rampart.Dependencies.Manifests;

/// <summary>
/// pip requirements files: one requirement per line, comments, backslash continuations, per-requirement options
/// (--hash, --config-settings, --global-option), editable installs, URLs and VCS references, and -r/-c includes
/// (followed only inside a boundary folder, each file once on a path, cycles reported).
/// </summary>
public static partial class RequirementsReader
{
    /// <summary>Deepest include chain followed.</summary>
    public const int MaxIncludeDepth = 16;

    /// <summary>Largest requirements file read.</summary>
    public const long MaxFileBytes = 8 * 1024 * 1024;

    /// <summary>Reads <paramref name="fullPath"/> and every file it includes below <paramref name="boundary"/>.</summary>
    /// <param name="fullPath">The file on disk.</param>
    /// <param name="displayPath">The file as reports show it.</param>
    /// <param name="boundary">The folder includes must stay in (default: the file's folder).</param>
    /// <param name="environment">Looks up ${NAME} variables as pip does (default: this process's environment).</param>
    public static ManifestResult ReadFile(string fullPath, string displayPath, string? boundary = null, Func<string, string?>? environment = null)
    {
        var state = new State(Path.GetFullPath(boundary ?? Path.GetDirectoryName(Path.GetFullPath(fullPath))!), environment);
        string text;
        try
        {
            if (new FileInfo(fullPath).Length > MaxFileBytes)
            {
                return ManifestResult.Failed("requirements", displayPath, $"the file is larger than {MaxFileBytes:N0} bytes");
            }

            text = BoundedFile.ReadAllText(fullPath, MaxFileBytes);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return ManifestResult.Failed("requirements", displayPath, $"cannot read: {e.Message}");
        }

        Read(text, Path.GetFullPath(fullPath), displayPath, false, state, [Path.GetFullPath(fullPath)]);
        return state.Result();
    }

    /// <summary>Reads requirements text that came from <paramref name="fullPath"/> on disk: includes are resolved from
    /// there, inside <paramref name="boundary"/> (default: the file's folder).</summary>
    public static ManifestResult ReadText(string text, string displayPath, string fullPath, string? boundary = null, Func<string, string?>? environment = null)
    {
        var full = Path.GetFullPath(fullPath);
        var state = new State(Path.GetFullPath(boundary ?? Path.GetDirectoryName(full)!), environment);
        Read(text, full, displayPath, false, state, [full]);
        return state.Result();
    }

    /// <summary>Reads requirements text; includes are reported as not followed (no file system).</summary>
    public static ManifestResult ReadText(string text, string displayPath, Func<string, string?>? environment = null)
    {
        var state = new State(null, environment);
        Read(text, null, displayPath, false, state, []);
        return state.Result();
    }

    private sealed class State(string? boundary, Func<string, string?>? environment)
    {
        public string? Boundary { get; } = boundary;

        public Func<string, string?> Environment { get; } = environment ?? System.Environment.GetEnvironmentVariable;

        public List<Dependency> Dependencies { get; } = [];

        public List<ManifestProblem> Problems { get; } = [];

        public List<string> Indexes { get; } = [];

        public List<string> ExtraIndexes { get; } = [];

        public ManifestResult Result() => new("requirements", [.. Dependencies], [.. Problems], [.. Indexes.Distinct(StringComparer.Ordinal)])
        {
            ExtraIndexUrls = [.. ExtraIndexes.Distinct(StringComparer.Ordinal)],
        };
    }

    private static void Read(string text, string? fullPath, string display, bool constraints, State state, ImmutableList<string> chain)
    {
        // pip decodes a file that starts with a UTF-8 byte order mark without it.
        text = text.StartsWith('\uFEFF') ? text[1..] : text;
        foreach (var (line, number) in LogicalLines(text))
        {
            // pip's order: join continuations, drop comments, then expand ${NAME} variables.
            var content = ExpandVariables(StripComment(line), state.Environment).Trim();
            if (content.Length == 0)
            {
                continue;
            }

            try
            {
                ReadLine(content, number, fullPath, display, constraints, state, chain);
            }
            catch (FormatException e)
            {
                state.Problems.Add(new ManifestProblem(display, number, e.Message));
            }
        }
    }

    // Joins lines ending in a backslash; the logical line keeps the number of its first physical line.
    private static IEnumerable<(string Line, int Number)> LogicalLines(string text)
    {
        var lines = text.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        var builder = new StringBuilder();
        var start = 0;
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i];
            if (builder.Length == 0)
            {
                start = i + 1;
            }

            if (line.EndsWith('\\') && !IsCommentLine(line))
            {
                builder.Append(line, 0, line.Length - 1).Append(' ');
                continue;
            }

            builder.Append(line);
            yield return (builder.ToString(), start);
            builder.Clear();
        }

        if (builder.Length > 0)
        {
            yield return (builder.ToString(), start);
        }
    }

    private static bool IsCommentLine(string line) => line.TrimStart().StartsWith('#');

    // '#' starts a comment at the start of a line or after whitespace (a URL fragment like #egg= is not one).
    private static string StripComment(string line)
    {
        for (var i = 0; i < line.Length; i++)
        {
            if (line[i] == '#' && (i == 0 || char.IsWhiteSpace(line[i - 1])))
            {
                return line[..i];
            }
        }

        return line;
    }

    [GeneratedRegex(@"\s(?=--?[A-Za-z])", RegexOptions.CultureInvariant, 1000)]
    private static partial Regex OptionStart();

    // pip expands only ${NAME} with NAME of upper-case letters, digits and '_' (POSIX names); $NAME, ${lower} and
    // the like stay as written.
    [GeneratedRegex(@"\$\{(?<name>[A-Z0-9_]+)\}", RegexOptions.CultureInvariant | RegexOptions.ExplicitCapture, 1000)]
    private static partial Regex Variable();

    /// <summary>
    /// Replaces each ${NAME} by the variable's value, as pip does: a variable that is unset or empty stays as written
    /// (pip then fails on the line, and so does the audit, with the variable named).
    /// </summary>
    private static string ExpandVariables(string line, Func<string, string?> environment) =>
        !line.Contains("${", StringComparison.Ordinal) ? line : Variable().Replace(line, m => environment(m.Groups["name"].Value) is { Length: > 0 } value ? value : m.Value);

    private static void RejectUnexpanded(string text)
    {
        var unset = Variable().Match(text);
        if (unset.Success)
        {
            throw new FormatException($"environment variable {unset.Groups["name"].Value} is not set (or empty), so pip keeps '{unset.Value}' as written and cannot read the line; set it to audit what it names");
        }
    }

    [GeneratedRegex(@"(?:^|[\\/])(?<name>[A-Za-z0-9](?:[A-Za-z0-9._]*[A-Za-z0-9])?)-(?<version>[0-9][^-]*)(?:-[^-]+)?-[^-]+-[^-]+-[^-]+\.whl$", RegexOptions.CultureInvariant | RegexOptions.ExplicitCapture, 1000)]
    private static partial Regex WheelName();

    [GeneratedRegex(@"[#&]egg=(?<name>[A-Za-z0-9][A-Za-z0-9._-]*)", RegexOptions.CultureInvariant | RegexOptions.ExplicitCapture, 1000)]
    private static partial Regex EggFragment();

    private static void ReadLine(string content, int number, string? fullPath, string display, bool constraints, State state, ImmutableList<string> chain)
    {
        if (content.StartsWith('-'))
        {
            ReadOption(content, number, fullPath, display, state, chain);
            return;
        }

        // Split the requirement from its per-requirement options.
        var parts = OptionStart().Split(content, 2);
        var requirement = parts[0].Trim();
        var options = parts.Length > 1 ? parts[1] : "";
        var hashes = ParseHashes(options);
        RejectUnexpanded(requirement);
        if (LooksLikeUrlOrPath(requirement))
        {
            AddDirect(requirement, number, display, hashes, "url", constraints, state);
            return;
        }

        if (!Pep508.TryParse(requirement, out var r, out var error))
        {
            throw new FormatException(error);
        }

        state.Dependencies.Add(new Dependency(r.Name, r.PinnedVersion, r.Specifier, display, number, "declared", hashes,
            r.Url is null ? "index" : IsVcs(r.Url) ? "vcs" : "url", r.Url, r.Marker, IsConstraint: constraints));
    }

    // The options pip accepts after a requirement on the same line; each takes a value.
    private static readonly string[] PerRequirementOptions = ["--hash", "--config-settings", "-C", "--global-option"];

    private static ImmutableArray<string> ParseHashes(string options)
    {
        var hashes = ImmutableArray.CreateBuilder<string>();
        var tokens = options.Split((char[])[' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
        for (var i = 0; i < tokens.Length; i++)
        {
            var token = tokens[i];
            if (!token.StartsWith('-'))
            {
                continue; // pip's option parser sets aside words that are no option, and so does this
            }

            var eq = token.IndexOf('=', StringComparison.Ordinal);
            var name = token.StartsWith("--", StringComparison.Ordinal) && eq > 0 ? token[..eq] : token;
            if (!PerRequirementOptions.Contains(name, StringComparer.Ordinal))
            {
                throw new FormatException($"unknown option '{name}' after the requirement (pip accepts only {string.Join(", ", PerRequirementOptions)} there)");
            }

            var value = name.Length < token.Length ? token[(eq + 1)..] : i + 1 < tokens.Length ? tokens[++i] : "";
            if (value.Length == 0)
            {
                throw new FormatException($"option '{name}' needs a value");
            }

            if (name == "--hash")
            {
                hashes.Add(value);
            }
        }

        return hashes.Distinct(StringComparer.Ordinal).ToImmutableArray();
    }

    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9._-]*\s*(?:\[[^\]]*\])?\s*@", RegexOptions.CultureInvariant, 1000)]
    private static partial Regex NamedUrl();

    private static bool LooksLikeUrlOrPath(string text) => !NamedUrl().IsMatch(text) && (
        text.Contains("://", StringComparison.Ordinal) && !text.Contains('@', StringComparison.Ordinal) && !text.Contains(' ', StringComparison.Ordinal)
        || text.StartsWith("./", StringComparison.Ordinal) || text.StartsWith("../", StringComparison.Ordinal) || text.StartsWith('/')
        || text.StartsWith("git+", StringComparison.Ordinal) || text.EndsWith(".whl", StringComparison.OrdinalIgnoreCase)
        || text.EndsWith(".tar.gz", StringComparison.OrdinalIgnoreCase) || text.EndsWith(".zip", StringComparison.OrdinalIgnoreCase));

    private static bool IsVcs(string url) => url.StartsWith("git+", StringComparison.OrdinalIgnoreCase) || url.StartsWith("hg+", StringComparison.OrdinalIgnoreCase)
        || url.StartsWith("svn+", StringComparison.OrdinalIgnoreCase) || url.StartsWith("bzr+", StringComparison.OrdinalIgnoreCase);

    private static void AddDirect(string target, int number, string display, ImmutableArray<string> hashes, string origin, bool constraints, State state)
    {
        if (IsVcs(target))
        {
            origin = origin == "editable" ? origin : "vcs";
        }
        else if (!target.Contains("://", StringComparison.Ordinal) && origin != "editable")
        {
            origin = "path";
        }

        var wheel = WheelName().Match(target.Split('#')[0]);
        if (wheel.Success)
        {
            state.Dependencies.Add(new Dependency(wheel.Groups["name"].Value, wheel.Groups["version"].Value, null, display, number, "declared", hashes, origin, target, IsConstraint: constraints));
            return;
        }

        var egg = EggFragment().Match(target);
        if (egg.Success)
        {
            state.Dependencies.Add(new Dependency(egg.Groups["name"].Value, null, null, display, number, "declared", hashes, origin, target, IsConstraint: constraints));
            return;
        }

        state.Problems.Add(new ManifestProblem(display, number, $"'{target}' names no package (no wheel file name, no #egg=); it is installed from {origin} and not audited"));
    }

    private static void ReadOption(string content, int number, string? fullPath, string display, State state, ImmutableList<string> chain)
    {
        var (name, value) = SplitOption(content);
        RejectUnexpanded(value);
        switch (name)
        {
            case "-r" or "--requirement" or "-c" or "--constraint":
                Include(value, name is "-c" or "--constraint", number, fullPath, display, state, chain);
                break;
            case "-e" or "--editable":
                AddDirect(value, number, display, [], "editable", false, state);
                break;
            case "-i" or "--index-url":
                state.Indexes.Add(value);
                break;
            case "--extra-index-url":
                state.Indexes.Add(value);
                state.ExtraIndexes.Add(value);
                break;
            case "-f" or "--find-links" or "--no-index" or "--pre" or "--trusted-host" or "--prefer-binary" or "--only-binary" or "--no-binary"
                or "--require-hashes" or "--use-feature" or "--config-settings" or "-C" or "--global-option" or "-Z" or "--always-unzip":
                break;
            default:
                throw new FormatException($"unknown option '{name}'");
        }
    }

    private static (string Name, string Value) SplitOption(string content)
    {
        var eq = content.IndexOf('=', StringComparison.Ordinal);
        var space = content.IndexOfAny([' ', '\t']);
        if (content.StartsWith("--", StringComparison.Ordinal) && eq > 0 && (space < 0 || eq < space))
        {
            return (content[..eq], content[(eq + 1)..].Trim());
        }

        if (space > 0)
        {
            return (content[..space], content[space..].Trim());
        }

        // "-rfile.txt" is allowed for the include options; anything else glued to a short option is not guessed at.
        return content.Length > 2 && content[1] is 'r' or 'c' ? (content[..2], content[2..].Trim()) : (content, "");
    }

    private static void Include(string target, bool constraints, int number, string? fullPath, string display, State state, ImmutableList<string> chain)
    {
        if (target.Length == 0)
        {
            throw new FormatException("an include (-r/-c) needs a file name");
        }

        if (fullPath is null || state.Boundary is null)
        {
            state.Problems.Add(new ManifestProblem(display, number, $"include '{target}' not followed (no file system)"));
            return;
        }

        if (target.Contains("://", StringComparison.Ordinal))
        {
            state.Problems.Add(new ManifestProblem(display, number, $"include '{target}' is a URL; Rampart never downloads it, so what it names is not audited"));
            return;
        }

        var included = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(fullPath)!, target));
        var boundary = state.Boundary.EndsWith(Path.DirectorySeparatorChar) ? state.Boundary : state.Boundary + Path.DirectorySeparatorChar;
        var includedDisplay = CombineDisplay(display, target);
        if (!included.StartsWith(boundary, StringComparison.Ordinal))
        {
            state.Problems.Add(new ManifestProblem(display, number, $"include '{target}' lies outside the audited folder; not followed"));
            return;
        }

        if (chain.Contains(included, StringComparer.Ordinal))
        {
            state.Problems.Add(new ManifestProblem(display, number, $"include cycle: '{target}' includes a file already being read ({string.Join(" -> ", chain.Select(Path.GetFileName))} -> {Path.GetFileName(included)})"));
            return;
        }

        if (chain.Count >= MaxIncludeDepth)
        {
            state.Problems.Add(new ManifestProblem(display, number, $"includes are nested more than {MaxIncludeDepth} deep; '{target}' not followed"));
            return;
        }

        string text;
        try
        {
            var info = new FileInfo(included);
            if (!info.Exists)
            {
                state.Problems.Add(new ManifestProblem(display, number, $"included file '{target}' does not exist"));
                return;
            }

            if (info.Length > MaxFileBytes || info.LinkTarget is not null)
            {
                state.Problems.Add(new ManifestProblem(display, number, $"included file '{target}' is a link or larger than {MaxFileBytes:N0} bytes; not followed"));
                return;
            }

            text = BoundedFile.ReadAllText(included, MaxFileBytes);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            state.Problems.Add(new ManifestProblem(display, number, $"cannot read included file '{target}': {e.Message}"));
            return;
        }

        Read(text, included, includedDisplay, constraints, state, chain.Add(included));
    }

    private static string CombineDisplay(string display, string target)
    {
        var slash = display.Replace('\\', '/').LastIndexOf('/');
        return slash < 0 ? target : display[..(slash + 1)] + target;
    }
}
