using System.Collections.Immutable;
using System.Text;
using System.Text.Json;
using Rampart.Dependencies.Pep440;
using Rampart.Dependencies.Toml;
using YamlDotNet.RepresentationModel;
using Rampart.Core.IO;

namespace Rampart.Dependencies.Manifests;

/// <summary>The manifest and lockfile formats Rampart reads.</summary>
public enum ManifestFormat
{
    Requirements,
    PipfileLock,
    PoetryLock,
    PdmLock,
    UvLock,
    Pylock,
    Pyproject,
    CondaEnvironment,
}

/// <summary>Recognises manifests by file name and reads them. Malformed files yield problems, never exceptions.</summary>
public static class ManifestReader
{
    /// <summary>Largest manifest or lockfile read whole.</summary>
    public const long MaxFileBytes = 32 * 1024 * 1024;

    /// <summary>The format a file name says, or null. Content is checked by <see cref="Read"/>.</summary>
    public static ManifestFormat? FormatOf(string fileName)
    {
        var name = Path.GetFileName(fileName).ToLowerInvariant();
        return name switch
        {
            "pipfile.lock" => ManifestFormat.PipfileLock,
            "poetry.lock" => ManifestFormat.PoetryLock,
            "pdm.lock" => ManifestFormat.PdmLock,
            "uv.lock" => ManifestFormat.UvLock,
            "pylock.toml" => ManifestFormat.Pylock,
            "pyproject.toml" => ManifestFormat.Pyproject,
            // conda.yaml: the environment MLflow writes beside every logged model (MLmodel env.conda).
            "environment.yml" or "environment.yaml" or "conda.yaml" or "conda.yml" => ManifestFormat.CondaEnvironment,
            _ when name.StartsWith("pylock.", StringComparison.Ordinal) && name.EndsWith(".toml", StringComparison.Ordinal) => ManifestFormat.Pylock,
            _ when name.EndsWith(".txt", StringComparison.Ordinal) && (name.Contains("requirements", StringComparison.Ordinal) || name.Contains("constraints", StringComparison.Ordinal)) => ManifestFormat.Requirements,
            _ when name.EndsWith(".in", StringComparison.Ordinal) && name.Contains("requirements", StringComparison.Ordinal) => ManifestFormat.Requirements,
            _ => null,
        };
    }

    public static string Id(ManifestFormat format) => format switch
    {
        ManifestFormat.Requirements => "requirements",
        ManifestFormat.PipfileLock => "pipfile.lock",
        ManifestFormat.PoetryLock => "poetry.lock",
        ManifestFormat.PdmLock => "pdm.lock",
        ManifestFormat.UvLock => "uv.lock",
        ManifestFormat.Pylock => "pylock.toml",
        ManifestFormat.Pyproject => "pyproject.toml",
        _ => "environment.yml",
    };

    /// <summary>Reads a file of a known format from disk (requirements files follow their includes).</summary>
    public static ManifestResult ReadFile(ManifestFormat format, string fullPath, string displayPath, string? boundary = null)
    {
        if (format == ManifestFormat.Requirements)
        {
            return RequirementsReader.ReadFile(fullPath, displayPath, boundary);
        }

        try
        {
            var info = new FileInfo(fullPath);
            if (info.Length > MaxFileBytes)
            {
                return ManifestResult.Failed(Id(format), displayPath, $"the file is larger than {MaxFileBytes:N0} bytes");
            }

            return Read(format, BoundedFile.ReadAllBytes(fullPath, MaxFileBytes), displayPath);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return ManifestResult.Failed(Id(format), displayPath, $"cannot read: {e.Message}");
        }
    }

    /// <summary>Reads a manifest's bytes. Includes of requirements files are not followed here.</summary>
    public static ManifestResult Read(ManifestFormat format, ReadOnlySpan<byte> content, string displayPath)
    {
        var id = Id(format);
        if (content.StartsWith("\uFEFF"u8))
        {
            content = content[3..]; // a UTF-8 byte order mark is not content; every tool here skips it
        }

        if (content.IsEmpty || content.Trim((ReadOnlySpan<byte>)" \t\r\n"u8).IsEmpty)
        {
            return ManifestResult.Failed(id, displayPath, "the file is empty");
        }

        try
        {
            return format switch
            {
                ManifestFormat.Requirements => RequirementsReader.ReadText(Encoding.UTF8.GetString(content), displayPath),
                ManifestFormat.PipfileLock => PipfileLock(content, displayPath, JsonEntryLines.Of(content)),
                ManifestFormat.PoetryLock => Packages(id, TomlReader.Parse(content), "package", displayPath, PoetryOrigin),
                ManifestFormat.PdmLock => Packages(id, TomlReader.Parse(content), "package", displayPath, PdmOrigin),
                ManifestFormat.UvLock => Packages(id, TomlReader.Parse(content), "package", displayPath, UvOrigin),
                ManifestFormat.Pylock => Packages(id, TomlReader.Parse(content), "packages", displayPath, PylockOrigin),
                ManifestFormat.Pyproject => PyprojectReader.Read(TomlReader.Parse(content), displayPath),
                _ => CondaEnvironment(content, displayPath),
            };
        }
        catch (TomlException e)
        {
            return ManifestResult.Failed(id, displayPath, $"not valid TOML at line {e.Line}, column {e.Column}: {e.Reason}", e.Line);
        }
        catch (JsonException e)
        {
            // System.Text.Json counts lines and bytes from 0; editors and json tools count lines and characters from 1.
            var line = (int)(e.LineNumber ?? 0) + 1;
            var column = ColumnOf(content, line, e.BytePositionInLine ?? 0);
            return ManifestResult.Failed(id, displayPath, $"not valid JSON at line {line}, column {column}: {Reason(e.Message, " Path:", " LineNumber:")}", line);
        }
        catch (YamlDotNet.Core.YamlException e)
        {
            // YamlDotNet's marks count lines and columns from 1, as YAML tools do; its message repeats them in brackets.
            // The end mark is where the problem was found (the start is where the token it was reading began).
            var mark = e.End.Line >= e.Start.Line ? e.End : e.Start;
            var line = (int)mark.Line;
            var reason = e.Message.StartsWith("(Line:", StringComparison.Ordinal) && e.Message.IndexOf("): ", StringComparison.Ordinal) is var end and > 0
                ? e.Message[(end + 3)..]
                : e.Message;
            return ManifestResult.Failed(id, displayPath, $"not valid YAML at line {line}, column {mark.Column}: {reason}", line);
        }
        catch (FormatException e)
        {
            return ManifestResult.Failed(id, displayPath, e.Message);
        }
    }

    // The first sentence of a parser's message, without the position it appends (reported separately, 1-based).
    private static string Reason(string message, params string[] cuts)
    {
        foreach (var cut in cuts)
        {
            var at = message.IndexOf(cut, StringComparison.Ordinal);
            if (at >= 0)
            {
                message = message[..at];
            }
        }

        return message.Trim().TrimEnd('.');
    }

    // 1-based character column of a 0-based byte offset within the 1-based line.
    private static long ColumnOf(ReadOnlySpan<byte> content, int line, long byteInLine)
    {
        var start = 0;
        for (var l = 1; l < line; l++)
        {
            var next = content[start..].IndexOf((byte)'\n');
            if (next < 0)
            {
                return byteInLine + 1;
            }

            start += next + 1;
        }

        var length = (int)Math.Min(byteInLine, content.Length - start);
        return Encoding.UTF8.GetCharCount(content.Slice(start, length)) + 1;
    }

    private static ManifestResult PipfileLock(ReadOnlySpan<byte> content, string display, JsonEntryLines lines)
    {
        var reader = new Utf8JsonReader(content, new JsonReaderOptions { MaxDepth = 64, CommentHandling = JsonCommentHandling.Disallow });
        using var doc = JsonDocument.ParseValue(ref reader);
        if (doc.RootElement.ValueKind != JsonValueKind.Object)
        {
            throw new FormatException("a Pipfile.lock must be a JSON object");
        }

        var deps = ImmutableArray.CreateBuilder<Dependency>();
        var problems = ImmutableArray.CreateBuilder<ManifestProblem>();
        var indexes = ImmutableArray.CreateBuilder<string>();
        if (doc.RootElement.TryGetProperty("_meta", out var meta) && meta.ValueKind == JsonValueKind.Object
            && meta.TryGetProperty("sources", out var sources) && sources.ValueKind == JsonValueKind.Array)
        {
            foreach (var s in sources.EnumerateArray())
            {
                if (s.ValueKind == JsonValueKind.Object && s.TryGetProperty("url", out var u) && u.ValueKind == JsonValueKind.String)
                {
                    indexes.Add(u.GetString()!);
                }
            }
        }

        foreach (var group in new[] { "default", "develop" })
        {
            if (!doc.RootElement.TryGetProperty(group, out var packages) || packages.ValueKind != JsonValueKind.Object)
            {
                continue;
            }

            foreach (var p in packages.EnumerateObject())
            {
                var line = lines.Line(group, p.Name);
                if (p.Value.ValueKind != JsonValueKind.Object)
                {
                    problems.Add(new ManifestProblem(display, line, $"entry '{p.Name}' in '{group}' is not an object"));
                    continue;
                }

                var markers = Str(p.Value, "markers");
                if (!MarkerIsValid(markers, p.Name, display, lines.Line(group, p.Name, "markers"), problems))
                {
                    continue;
                }

                var spec = Str(p.Value, "version");
                string? version = spec is not null && spec.StartsWith("==", StringComparison.Ordinal) && !spec.StartsWith("===", StringComparison.Ordinal) ? spec[2..].Trim() : null;
                var hashes = p.Value.TryGetProperty("hashes", out var h) && h.ValueKind == JsonValueKind.Array
                    ? h.EnumerateArray().Where(x => x.ValueKind == JsonValueKind.String).Select(x => x.GetString()!).ToImmutableArray()
                    : [];
                var origin = Str(p.Value, "git") is not null ? "vcs" : Str(p.Value, "path") is not null ? "path" : Str(p.Value, "file") is not null ? "url" : "index";
                if (p.Value.TryGetProperty("editable", out var ed) && ed.ValueKind == JsonValueKind.True)
                {
                    origin = "editable";
                }

                deps.Add(new Dependency(p.Name, version, spec, display, line, "locked", hashes, origin, Str(p.Value, "git") ?? Str(p.Value, "file") ?? Str(p.Value, "path"),
                    markers, group == "develop" ? "dev" : "default", Index: Str(p.Value, "index")));
            }
        }

        return new ManifestResult("pipfile.lock", deps.ToImmutable(), problems.ToImmutable(), indexes.ToImmutable());
    }

    private static string? Str(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static (string Origin, string? Url, string? Index) PoetryOrigin(TomlTable p)
    {
        if (p.GetTable("source") is not { } source)
        {
            return ("index", null, null);
        }

        var type = source.GetString("type");
        var url = source.GetString("url");
        return type switch
        {
            "git" => ("vcs", url, null),
            "legacy" or "explicit" or "supplemental" or "primary" => ("index", null, url),
            "url" => ("url", url, null),
            "directory" or "file" => ("path", url, null),
            _ => ("index", null, url),
        };
    }

    private static (string Origin, string? Url, string? Index) PdmOrigin(TomlTable p) =>
        p.GetString("git") is { } git ? ("vcs", git, null)
        : p.GetString("path") is { } path ? (p.TryGetValue("editable", out var e) && e is true ? "editable" : "path", path, null)
        : p.GetString("url") is { } url ? ("url", url, null)
        : ("index", null, null);

    private static (string Origin, string? Url, string? Index) UvOrigin(TomlTable p)
    {
        if (p.GetTable("source") is not { } source)
        {
            return ("index", null, null);
        }

        return source.GetString("registry") is { } registry ? ("index", null, registry)
            : source.GetString("git") is { } git ? ("vcs", git, null)
            : source.GetString("url") is { } url ? ("url", url, null)
            : source.GetString("editable") is { } ed ? ("editable", ed, null)
            : source.GetString("virtual") is { } v ? ("path", v, null)
            : source.GetString("directory") is { } d ? ("path", d, null)
            : source.GetString("path") is { } pa ? ("path", pa, null)
            : ("index", null, null);
    }

    private static (string Origin, string? Url, string? Index) PylockOrigin(TomlTable p) =>
        p.GetTable("vcs") is { } vcs ? ("vcs", vcs.GetString("url") ?? vcs.GetString("path"), null)
        : p.GetTable("directory") is { } dir ? (dir.TryGetValue("editable", out var e) && e is true ? "editable" : "path", dir.GetString("path"), null)
        : p.GetTable("archive") is { } archive ? ("url", archive.GetString("url") ?? archive.GetString("path"), null)
        : ("index", null, p.GetString("index"));

    private static ManifestResult Packages(string id, TomlTable doc, string key, string display, Func<TomlTable, (string Origin, string? Url, string? Index)> origin)
    {
        var deps = ImmutableArray.CreateBuilder<Dependency>();
        var problems = ImmutableArray.CreateBuilder<ManifestProblem>();
        if (doc.TryGetValue(key, out var value) && value is not TomlArray)
        {
            var at = doc.LineOf(key);
            return ManifestResult.Failed(id, display, $"'{key}' at line {at} must be an array of tables ([[{key}]]), not {TomlKind(value)}", at);
        }

        var packages = doc.GetArray(key) ?? [];
        var i = 0;
        foreach (var item in packages)
        {
            i++;
            if (item is not TomlTable p)
            {
                problems.Add(new ManifestProblem(display, packages.LineOf(i - 1), $"{key} entry {i} is {TomlKind(item)}, not a table"));
                continue;
            }

            var name = p.GetString("name");
            if (name is null || !PackageName.IsValid(name))
            {
                var what = p.ContainsKey("name") ? $"its name {(name is null ? "is not a string" : $"'{name}' is not a valid package name")}" : "it has no name";
                problems.Add(new ManifestProblem(display, p.ContainsKey("name") ? p.LineOf("name") : p.Line, $"{key} entry {i} (from line {p.Line}) cannot be audited: {what}"));
                continue;
            }

            var (marker, markerKey, markerType) = EntryMarker(p);
            if (markerType is not null)
            {
                problems.Add(new ManifestProblem(display, p.LineOf(markerKey!), $"'{name}': '{markerKey}' holds {markerType}, not a marker string; the entry is not audited as if it applied"));
                continue;
            }

            if (!MarkerIsValid(marker, name, display, markerKey is null ? p.Line : p.LineOf(markerKey), problems))
            {
                continue;
            }

            var version = p.GetString("version");
            var (o, url, index) = origin(p);
            var hashes = Hashes(p);
            string? group = p.GetString("category")
                ?? (p.GetArray("groups") is { Count: > 0 } groups ? string.Join(",", groups.OfType<string>()) : null);
            deps.Add(new Dependency(name, version, version is null ? null : "==" + version, display, p.Line, "locked", hashes, o, url, marker, group, Index: index));
        }

        if (!doc.ContainsKey(key) && !doc.ContainsKey("metadata") && !doc.ContainsKey("version") && !doc.ContainsKey("lock-version"))
        {
            problems.Add(new ManifestProblem(display, 0, $"no '{key}' entries and no lockfile metadata: is this a {id} file?"));
        }

        return new ManifestResult(id, deps.ToImmutable(), problems.ToImmutable(), []);
    }

    /// <summary>
    /// The environment marker of a lockfile entry, as one PEP 508 expression: pdm's and pylock's "marker", poetry's
    /// "markers" (a string, or in Poetry 2 a table of one marker per group), uv's "resolution-markers" (the forks of the
    /// resolution the entry belongs to). Several are joined with "or": the entry is installed where any of them holds.
    /// A value of the wrong type is named in WrongType, so it is reported, never taken as "no marker".
    /// </summary>
    private static (string? Marker, string? Key, string? WrongType) EntryMarker(TomlTable p)
    {
        foreach (var key in (string[])["marker", "markers", "resolution-markers"])
        {
            if (!p.TryGetValue(key, out var value))
            {
                continue;
            }

            IEnumerable<object> parts = value switch
            {
                string text => [text],
                TomlArray array => array,
                TomlTable table => table.Values,
                _ => [value],
            };
            var texts = parts.ToList();
            if (texts.Count == 0)
            {
                return (null, key, null);
            }

            if (texts.FirstOrDefault(t => t is not string) is { } wrong)
            {
                return (null, key, TomlKind(wrong));
            }

            return (texts.Count == 1 ? (string)texts[0] : string.Join(" or ", texts.Select(t => "(" + (string)t + ")")), key, null);
        }

        return (null, null, null);
    }

    /// <summary>
    /// A lockfile entry's environment marker is read as pip reads a requirement's: one that does not parse makes the
    /// entry an error on its line, and its pin is not audited as if it applied.
    /// </summary>
    internal static bool MarkerIsValid(string? marker, string name, string display, int line, ImmutableArray<ManifestProblem>.Builder problems)
    {
        if (marker is null || EnvironmentMarker.TryValidate(marker, out var error))
        {
            return true;
        }

        problems.Add(new ManifestProblem(display, line, $"'{name}': the environment marker '{marker}' is not valid ({error}); the installer refuses the entry, so it is not audited as if it applied"));
        return false;
    }

    /// <summary>How an error message names the kind of a TOML value.</summary>
    private static string TomlKind(object? value) => value switch
    {
        string => "a string",
        long or double => "a number",
        bool => "a boolean",
        TomlArray => "an array",
        TomlTable => "a table",
        TomlDateTime => "a date",
        _ => "a value",
    };

    private static ImmutableArray<string> Hashes(TomlTable p)
    {
        var hashes = ImmutableArray.CreateBuilder<string>();
        foreach (var key in new[] { "files", "wheels", "sdist", "hashes" })
        {
            if (!p.TryGetValue(key, out var v))
            {
                continue;
            }

            var items = v is TomlArray a ? a.Cast<object>() : [v];
            foreach (var item in items)
            {
                switch (item)
                {
                    case string s:
                        hashes.Add(s);
                        break;
                    case TomlTable t when t.GetString("hash") is { } hash:
                        hashes.Add(hash);
                        break;
                    case TomlTable t when t.GetTable("hashes") is { } hs:
                        hashes.AddRange(hs.Where(kv => kv.Value is string).Select(kv => $"{kv.Key}:{kv.Value}"));
                        break;
                }
            }
        }

        return hashes.ToImmutable();
    }

    private static ManifestResult CondaEnvironment(ReadOnlySpan<byte> content, string display)
    {
        var yaml = new YamlStream();
        using (var reader = new StringReader(Encoding.UTF8.GetString(content)))
        {
            yaml.Load(reader);
        }

        if (yaml.Documents.Count == 0 || yaml.Documents[0].RootNode is not YamlMappingNode root)
        {
            throw new FormatException("a conda environment file must be a YAML mapping");
        }

        var deps = ImmutableArray.CreateBuilder<Dependency>();
        var problems = ImmutableArray.CreateBuilder<ManifestProblem>();
        if (!root.Children.TryGetValue(new YamlScalarNode("dependencies"), out var node) || node is not YamlSequenceNode list)
        {
            throw new FormatException("a conda environment file needs a 'dependencies' list");
        }

        foreach (var entry in list)
        {
            var line = (int)entry.Start.Line;
            if (entry is YamlScalarNode { Value: { } spec })
            {
                // name[=version[=build]] or name>=x: a conda package, listed but not audited against PyPI.
                var parts = spec.Split(['=', '<', '>', '!', ' '], 2);
                var name = parts[0].Trim();
                var rest = spec[name.Length..].Trim();
                string? version = rest.StartsWith('=') && !rest.StartsWith("==", StringComparison.Ordinal) ? rest[1..].Split('=')[0] : rest.StartsWith("==", StringComparison.Ordinal) ? rest[2..] : null;
                if (name.Contains("::", StringComparison.Ordinal))
                {
                    name = name[(name.IndexOf("::", StringComparison.Ordinal) + 2)..];
                }

                deps.Add(new Dependency(name, version?.Contains('*', StringComparison.Ordinal) == true ? null : version, rest.Length > 0 ? rest : null, display, line, "declared", [], Ecosystem: "conda"));
            }
            else if (entry is YamlMappingNode map && map.Children.TryGetValue(new YamlScalarNode("pip"), out var pipNode) && pipNode is YamlSequenceNode pip)
            {
                var text = string.Join("\n", pip.OfType<YamlScalarNode>().Select(s => s.Value));
                var result = RequirementsReader.ReadText(text, display);
                var first = pip.Children.Count > 0 ? (int)pip.Children[0].Start.Line : line;
                deps.AddRange(result.Dependencies.Select(d => d with { Line = first + d.Line - 1 }));
                problems.AddRange(result.Problems.Select(p => p with { Line = p.Line > 0 ? first + p.Line - 1 : 0 }));
            }
            else
            {
                problems.Add(new ManifestProblem(display, line, "dependency entry is neither a package name nor a 'pip:' list"));
            }
        }

        return new ManifestResult("environment.yml", deps.ToImmutable(), problems.ToImmutable(), []);
    }
}

/// <summary>
/// The 1-based lines of a Pipfile.lock's package entries ("default" → "requests") and of their "markers" keys, found
/// by one pass of the reader over the bytes (a parsed JsonDocument keeps no positions).
/// </summary>
internal sealed class JsonEntryLines
{
    private readonly Dictionary<string, int> _lines = new(StringComparer.Ordinal);

    public int Line(string group, string name, string? key = null) =>
        _lines.TryGetValue(key is null ? group + "\0" + name : group + "\0" + name + "\0" + key, out var line) ? line : 0;

    public static JsonEntryLines Of(ReadOnlySpan<byte> content)
    {
        var found = new JsonEntryLines();
        var reader = new Utf8JsonReader(content, new JsonReaderOptions { MaxDepth = 64, CommentHandling = JsonCommentHandling.Disallow });
        var line = 1;
        var counted = 0;
        string? group = null;
        string? name = null;
        try
        {
            while (reader.Read())
            {
                if (reader.TokenType != JsonTokenType.PropertyName)
                {
                    continue;
                }

                var at = (int)reader.TokenStartIndex;
                line += content[counted..at].Count((byte)'\n');
                counted = at;
                var property = reader.GetString()!;
                switch (reader.CurrentDepth)
                {
                    case 1:
                        group = property;
                        break;
                    case 2 when group is not null:
                        name = property;
                        found._lines.TryAdd(group + "\0" + name, line);
                        break;
                    case 3 when group is not null && name is not null:
                        found._lines.TryAdd(group + "\0" + name + "\0" + property, line);
                        break;
                }
            }
        }
        catch (JsonException)
        {
            // The document parse that follows reports the error with its position.
        }

        return found;
    }
}
