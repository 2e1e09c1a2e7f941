using System.Collections.Immutable;
using Rampart.Dependencies.Pep440;
using Rampart.Dependencies.Toml;

namespace Rampart.Dependencies.Manifests;

/// <summary>pyproject.toml: PEP 621 [project] dependencies and optional-dependencies, PEP 735 [dependency-groups],
/// and Poetry's [tool.poetry] dependency tables.</summary>
internal static class PyprojectReader
{
    public static ManifestResult Read(TomlTable doc, string display)
    {
        var deps = ImmutableArray.CreateBuilder<Dependency>();
        var problems = ImmutableArray.CreateBuilder<ManifestProblem>();
        if (doc.GetTable("project") is { } project)
        {
            if (project.GetArray("dependencies") is { } list)
            {
                AddPep508(list, null, display, deps, problems);
            }

            if (project.GetTable("optional-dependencies") is { } optional)
            {
                foreach (var (group, value) in optional)
                {
                    if (value is TomlArray arr)
                    {
                        AddPep508(arr, group, display, deps, problems);
                    }
                }
            }

            if (project.GetArray("dynamic") is { } dynamic && dynamic.OfType<string>().Any(d => d is "dependencies" or "optional-dependencies"))
            {
                problems.Add(new ManifestProblem(display, 0, "dependencies are 'dynamic' (computed by the build backend); they cannot be audited from this file"));
            }
        }

        if (doc.GetTable("dependency-groups") is { } groups)
        {
            foreach (var (group, value) in groups)
            {
                if (value is TomlArray arr)
                {
                    // PEP 735: {include-group = "..."} tables name another group, which is read on its own.
                    AddPep508(arr, group, display, deps, problems, skipTables: true);
                }
            }
        }

        if (doc.GetTable("tool")?.GetTable("poetry") is { } poetry)
        {
            AddPoetry(poetry.GetTable("dependencies"), null, display, deps, problems);
            AddPoetry(poetry.GetTable("dev-dependencies"), "dev", display, deps, problems);
            if (poetry.GetTable("group") is { } poetryGroups)
            {
                foreach (var (group, value) in poetryGroups)
                {
                    AddPoetry((value as TomlTable)?.GetTable("dependencies"), group, display, deps, problems);
                }
            }
        }

        return new ManifestResult("pyproject.toml", deps.ToImmutable(), problems.ToImmutable(), []);
    }

    private static void AddPep508(TomlArray list, string? group, string display, ImmutableArray<Dependency>.Builder deps, ImmutableArray<ManifestProblem>.Builder problems,
        bool skipTables = false)
    {
        for (var i = 0; i < list.Count; i++)
        {
            var item = list[i];
            var line = list.LineOf(i);
            if (item is TomlTable && skipTables)
            {
                continue;
            }

            if (item is not string text)
            {
                problems.Add(new ManifestProblem(display, line, $"dependency entry {i + 1}{(group is null ? "" : $" of '{group}'")} is not a string"));
                continue;
            }

            if (!Pep508.TryParse(text, out var r, out var error))
            {
                problems.Add(new ManifestProblem(display, line, error));
                continue;
            }

            deps.Add(new Dependency(r.Name, r.PinnedVersion, r.Specifier, display, line, "declared", [],
                r.Url is null ? "index" : r.Url.Contains('+', StringComparison.Ordinal) ? "vcs" : "url", r.Url, r.Marker, group));
        }
    }

    private static void AddPoetry(TomlTable? table, string? group, string display, ImmutableArray<Dependency>.Builder deps, ImmutableArray<ManifestProblem>.Builder problems)
    {
        if (table is null)
        {
            return;
        }

        foreach (var (name, value) in table)
        {
            if (name.Equals("python", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            var line = table.LineOf(name);

            var entries = value is TomlArray multiple ? multiple.Cast<object>() : [value];
            foreach (var entry in entries)
            {
                switch (entry)
                {
                    case string spec:
                        deps.Add(new Dependency(name, PoetryPin(spec), spec, display, line, "declared", [], Group: group));
                        break;
                    case TomlTable t:
                        var v = t.GetString("version");
                        var origin = t.ContainsKey("git") ? "vcs" : t.ContainsKey("path") ? (t.TryGetValue("develop", out var d) && d is true ? "editable" : "path") : t.ContainsKey("url") ? "url" : "index";
                        var markers = t.GetString("markers");
                        if (!ManifestReader.MarkerIsValid(markers, name, display, t.LineOf("markers"), problems))
                        {
                            break;
                        }

                        deps.Add(new Dependency(name, v is null ? null : PoetryPin(v), v, display, line, "declared", [], origin,
                            t.GetString("git") ?? t.GetString("path") ?? t.GetString("url"), markers, group, Index: t.GetString("source")));
                        break;
                    default:
                        problems.Add(new ManifestProblem(display, line, $"poetry dependency '{name}' is neither a version string nor a table"));
                        break;
                }
            }
        }
    }

    // Poetry: a bare version ("1.2.3") or "==1.2.3" is an exact pin; ^, ~, *, ranges are not.
    private static string? PoetryPin(string spec)
    {
        var s = spec.Trim();
        if (s.StartsWith("==", StringComparison.Ordinal) && !s.StartsWith("===", StringComparison.Ordinal))
        {
            s = s[2..].Trim();
        }

        return !s.Contains('*', StringComparison.Ordinal) && PythonVersion.TryParse(s, out _) ? s : null;
    }
}
