using System.Diagnostics;

namespace Rampart.Core.Tests.Reporting;

/// <summary>
/// Validates JSON against a JSON Schema with Python's jsonschema module, run as a child process. Returns null when
/// python3 or the module is missing (the caller then prints why it did not validate).
/// </summary>
public static class JsonSchemaValidator
{
    private const string Script = """
        import json, sys, jsonschema
        schema = json.load(open(sys.argv[1], encoding="utf-8"))
        document = json.load(sys.stdin)
        cls = jsonschema.validators.validator_for(schema)
        cls.check_schema(schema)
        errors = sorted(cls(schema, format_checker=cls.FORMAT_CHECKER).iter_errors(document), key=lambda e: list(e.absolute_path))
        for e in errors:
            print("/".join(str(p) for p in e.absolute_path) + ": " + e.message)
        sys.exit(1 if errors else 0)
        """;

    public sealed record Result(bool Available, bool Valid, string Output);

    private static readonly Lazy<string?> LazyUnavailableReason = new(() =>
    {
        var probe = Run("-c \"import jsonschema\"", null);
        return probe is null ? "python3 is not on PATH"
            : probe.Value.ExitCode != 0 ? "the python3 module 'jsonschema' is not installed"
            : null;
    });

    /// <summary>Why schema validation cannot run here, or null when it can.</summary>
    public static string? UnavailableReason => LazyUnavailableReason.Value;

    public static Result Validate(string json, string schemaPath)
    {
        if (UnavailableReason is { } reason)
        {
            return new Result(false, false, reason);
        }

        var script = Path.Combine(Path.GetTempPath(), $"rampart-validate-{Guid.NewGuid():N}.py");
        File.WriteAllText(script, Script);
        try
        {
            var run = Run($"\"{script}\" \"{schemaPath}\"", json)!.Value;
            return new Result(true, run.ExitCode == 0, run.Output);
        }
        finally
        {
            File.Delete(script);
        }
    }

    private static (int ExitCode, string Output)? Run(string arguments, string? input)
    {
        var start = new ProcessStartInfo("python3", arguments)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }

        using (process)
        {
            if (input is not null)
            {
                process.StandardInput.Write(input);
            }

            process.StandardInput.Close();
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(60_000))
            {
                process.Kill(entireProcessTree: true);
                return (-1, "python3 timed out");
            }

            return (process.ExitCode, stdout.Result + stderr.Result);
        }
    }
}

/// <summary>A fact that is reported as skipped, with the reason, where python3 with jsonschema is not available.</summary>
public sealed class JsonSchemaFactAttribute : FactAttribute
{
    public JsonSchemaFactAttribute()
    {
        if (JsonSchemaValidator.UnavailableReason is { } reason)
        {
            Skip = "JSON schema validation needs python3 with jsonschema: " + reason;
        }
    }
}
