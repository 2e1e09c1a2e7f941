using System.Text.Json;
using Rampart.Server.Hosting;

namespace Rampart.Server.Registry;

/// <summary>
/// A scan report a client sends with its upload (`rampart scan --upload`): the JSON report of docs/report-schema.json
/// for the one uploaded file. The server never trusts it (its own gate scans again); it keeps it as evidence and
/// records the client's verdict in the ledger as the client's claim. Only the shape is checked here: a rampart
/// report, a known verdict, exactly one top-level artifact whose length is the upload's.
/// </summary>
public sealed record ClientReport(string Verdict, string Tool, long Length)
{
    private static readonly string[] Verdicts = ["clean", "needs-review", "inconclusive", "malicious"];

    /// <summary>Reads the report; a body that is not one is a 400 naming what is wrong.</summary>
    public static ClientReport Parse(ReadOnlyMemory<byte> json)
    {
        try
        {
            using var document = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 64 });
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object
                || !root.TryGetProperty("schemaVersion", out var schema) || schema.ValueKind != JsonValueKind.String || !schema.GetString()!.StartsWith("1.", StringComparison.Ordinal)
                || !root.TryGetProperty("tool", out var tool) || tool.ValueKind != JsonValueKind.Object
                || !tool.TryGetProperty("name", out var name) || name.ValueKind != JsonValueKind.String || name.GetString() != "rampart"
                || !tool.TryGetProperty("version", out var toolVersion) || toolVersion.ValueKind != JsonValueKind.String)
            {
                throw Bad("a report needs schemaVersion 1.x and tool.name \"rampart\" (rampart scan --format json)");
            }

            if (!root.TryGetProperty("verdict", out var verdict) || verdict.ValueKind != JsonValueKind.String || !Verdicts.Contains(verdict.GetString()))
            {
                throw Bad($"the report's verdict must be one of {string.Join(", ", Verdicts)}");
            }

            if (!root.TryGetProperty("artifacts", out var artifacts) || artifacts.ValueKind != JsonValueKind.Array)
            {
                throw Bad("the report has no artifacts list");
            }

            var topLevel = artifacts.EnumerateArray()
                .Where(a => a.ValueKind == JsonValueKind.Object && (!a.TryGetProperty("parent", out var parent) || parent.ValueKind == JsonValueKind.Null))
                .ToList();
            if (topLevel.Count != 1 || !topLevel[0].TryGetProperty("length", out var length) || !length.TryGetInt64(out var bytes) || bytes < 0)
            {
                throw Bad($"the report must describe exactly one file (it describes {topLevel.Count}); scan the file you upload");
            }

            return new ClientReport(verdict.GetString()!, $"rampart {toolVersion.GetString()}", bytes);
        }
        catch (JsonException e)
        {
            throw Bad($"the report is not valid JSON: {e.Message}");
        }
    }

    private static ApiException Bad(string message) => new(400, "bad_report", message);
}
