using System.Diagnostics;

namespace Rampart.RedTeam.Tests.Reports;

/// <summary>
/// Validates JSON against a JSON Schema with Debian's python3-jsonschema in a child process (it reads every draft,
/// including SARIF's draft-04 and the report schema's 2020-12). Where it is missing, tests skip with the reason.
/// </summary>
internal static class SchemaValidator
{
    private const string Python = "/usr/bin/python3";

    private const string Script = """
        import json, sys, jsonschema
        schema = json.load(open(sys.argv[1], encoding="utf-8"))
        document = json.load(sys.stdin)
        cls = jsonschema.validators.validator_for(schema)
        cls.check_schema(schema)
        errors = sorted(cls(schema).iter_errors(document), key=lambda e: list(e.absolute_path))
        for e in errors:
            print("/".join(str(p) for p in e.absolute_path) + ": " + e.message)
        sys.exit(1 if errors else 0)
        """;

    private static readonly Lazy<string?> LazySkip = new(() =>
    {
        if (!File.Exists(Python))
        {
            return $"{Python} is missing";
        }

        var (code, _) = Run(["-c", "import jsonschema"], "");
        return code == 0 ? null : "python3-jsonschema is not installed for /usr/bin/python3 (apt-get install python3-jsonschema)";
    });

    public static string? SkipReason => LazySkip.Value;

    public static (bool Valid, string Errors) Validate(string json, string schemaPath)
    {
        var (code, output) = Run(["-c", Script, schemaPath], json);
        return (code == 0, output);
    }

    private static (int Code, string Output) Run(string[] arguments, string input)
    {
        var start = new ProcessStartInfo(Python) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in arguments)
        {
            start.ArgumentList.Add(a);
        }

        using var process = Process.Start(start)!;
        process.StandardInput.Write(input);
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        process.WaitForExit(60_000);
        return (process.ExitCode, output.Result + error.Result);
    }
}

/// <summary>A fact that needs python3-jsonschema.</summary>
public sealed class SchemaFactAttribute : FactAttribute
{
    public SchemaFactAttribute() => Skip = SchemaValidator.SkipReason;
}
