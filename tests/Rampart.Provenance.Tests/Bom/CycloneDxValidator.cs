using Rampart.TestKit;

namespace Rampart.Provenance.Tests.Bom;

/// <summary>
/// Runs validate_cyclonedx.py (Python's jsonschema, local schema registry, no network) over JSON files and returns
/// its verdict per file. The pyenv python3 first on PATH has jsonschema; tests skip with the reason when none does.
/// </summary>
internal static class CycloneDxValidator
{
    private static readonly Lazy<string?> LazySkip = new(Probe);

    public static string Script => Path.Combine(AppContext.BaseDirectory, "Bom", "validate_cyclonedx.py");

    /// <summary>Null when the validator can run, else why not.</summary>
    public static string? SkipReason => SharedData.SkipReason("cyclonedx/schema") ?? LazySkip.Value;

    /// <summary>file → (valid, message).</summary>
    public static IReadOnlyDictionary<string, (bool Valid, string Line)> Validate(IReadOnlyList<string> files, string schemaFile = "bom-1.6.schema.json")
    {
        var (code, stdout, stderr) = Run([Script, SharedData.Path("cyclonedx/schema"), schemaFile, .. files]);
        if (code is not (0 or 1))
        {
            throw new InvalidOperationException($"validator failed (exit {code}): {stderr}");
        }

        var result = new Dictionary<string, (bool, string)>(StringComparer.Ordinal);
        foreach (var line in stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var file = files.First(f => line.StartsWith("ok " + f, StringComparison.Ordinal) || line.StartsWith("invalid " + f + ":", StringComparison.Ordinal));
            result[file] = (line.StartsWith("ok ", StringComparison.Ordinal), line);
        }

        result.Should().HaveCount(files.Count, "the validator answers once per file");
        return result;
    }

    private static string? Probe()
    {
        try
        {
            var (code, _, stderr) = Run(["-c", "import jsonschema, referencing"]);
            return code == 0 ? null : $"python3 on PATH cannot import jsonschema/referencing: {stderr.Trim()}";
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return $"no python3 on PATH ({e.Message})";
        }
    }

    private static (int Code, string Stdout, string Stderr) Run(IReadOnlyList<string> arguments) => PythonProcess.Run("python3", arguments);
}

/// <summary>A fact that needs the CycloneDX schema validator.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class CycloneDxFactAttribute : FactAttribute
{
    public CycloneDxFactAttribute() => Skip = CycloneDxValidator.SkipReason;
}
