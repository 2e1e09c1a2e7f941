using System.Text;
using System.Text.Json;
using Rampart.Core;
using Rampart.Scanning.Analyzers.Gguf.Jinja;
using Rampart.Scanning.Engine;
using Rampart.Scanning.IO;

namespace Rampart.Scanning.Analyzers.ChatTemplate;

/// <summary>
/// Chat templates outside GGUF files: a Hugging Face <c>tokenizer_config.json</c> or <c>chat_template.json</c> (its
/// <c>chat_template</c> field: a string, or a list of <c>{"name", "template"}</c>), and a standalone
/// <c>chat_template.jinja</c>. These are named config files, so the name selects them and the content confirms (a
/// JSON object, or text without NUL bytes). Each template goes through the same Jinja parser and analysis as GGUF's.
/// </summary>
internal sealed class ChatTemplateFileAnalyzer : IArtifactAnalyzer
{
    private static readonly string[] JsonNames = ["tokenizer_config.json", "chat_template.json", "processor_config.json"];

    public string Id => "chat-template";

    public bool CanAnalyze(Artifact artifact)
    {
        ArgumentNullException.ThrowIfNull(artifact);
        var head = artifact.Head.Span;
        if (IsJinjaName(artifact.Name))
        {
            return !head.Contains((byte)0);
        }

        if (!JsonNames.Contains(artifact.Name, StringComparer.OrdinalIgnoreCase))
        {
            return false;
        }

        var trimmed = head.StartsWith("\uFEFF"u8) ? head[3..] : head;
        trimmed = trimmed.TrimStart(" \t\r\n"u8);
        return trimmed.Length > 0 && trimmed[0] == (byte)'{';
    }

    private static bool IsJinjaName(string name) =>
        name.EndsWith(".jinja", StringComparison.OrdinalIgnoreCase) && name.Contains("chat_template", StringComparison.OrdinalIgnoreCase);

    public async ValueTask<AnalysisResult> AnalyzeAsync(Artifact artifact, AnalysisContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(artifact);
        ArgumentNullException.ThrowIfNull(context);
        var result = new AnalysisResult(Id, artifact, context);
        byte[] bytes;
        try
        {
            bytes = (await ArtifactBytes.ReadAllAsync(artifact, context.Limits.MaxHeaderBytes, "MaxHeaderBytes", cancellationToken).ConfigureAwait(false)).ToArray();
        }
        catch (LimitExceededException e)
        {
            result.LimitReached(e.LimitName, e.Message);
            return result;
        }

        if (IsJinjaName(artifact.Name))
        {
            result.SetFact("templates", 1);
            ChatTemplateCheck.Check(result, Encoding.UTF8.GetString(bytes), artifact.Name, cancellationToken);
            return result;
        }

        CheckJson(result, bytes, cancellationToken);
        return result;
    }

    private static void CheckJson(AnalysisResult result, byte[] bytes, CancellationToken cancellationToken)
    {
        if (!System.Text.Unicode.Utf8.IsValid(bytes))
        {
            result.Inconclusive("the file is not valid UTF-8, so it is not well-formed JSON", FindingLocation.AtOffset(0));
            return;
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(bytes, new JsonDocumentOptions { MaxDepth = 64, CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        }
        catch (JsonException e)
        {
            result.Inconclusive($"the file is not well-formed JSON: {e.Message}", FindingLocation.AtOffset(e.BytePositionInLine ?? 0));
            return;
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object || !document.RootElement.TryGetProperty("chat_template", out var template))
            {
                result.SetFact("templates", 0);
                return;
            }

            var count = 0;
            switch (template.ValueKind)
            {
                case JsonValueKind.String:
                    count++;
                    ChatTemplateCheck.Check(result, template.GetString()!, "chat_template", cancellationToken);
                    break;
                case JsonValueKind.Array:
                    foreach (var entry in template.EnumerateArray())
                    {
                        if (entry.ValueKind != JsonValueKind.Object || !entry.TryGetProperty("template", out var text) || text.ValueKind != JsonValueKind.String)
                        {
                            result.Inconclusive("chat_template lists an entry without a string 'template'");
                            continue;
                        }

                        var name = entry.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String ? n.GetString() : count.ToString(System.Globalization.CultureInfo.InvariantCulture);
                        count++;
                        ChatTemplateCheck.Check(result, text.GetString()!, "chat_template." + name, cancellationToken);
                    }

                    break;
                case JsonValueKind.Null:
                    break;
                default:
                    result.Inconclusive($"chat_template is a {template.ValueKind}, not a string or a list of named templates");
                    break;
            }

            result.SetFact("templates", count);
        }
    }
}
