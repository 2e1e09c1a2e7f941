using System.Collections.Immutable;

namespace Rampart.Guard;

/// <summary>Where a piece of text came from: text checks judge a user's prompt differently from a retrieved document.</summary>
public enum TextSource
{
    /// <summary>What the caller typed (user messages, completion prompts, embedding inputs).</summary>
    UserInput,

    /// <summary>The application's instructions (system and developer messages).</summary>
    SystemPrompt,

    /// <summary>Earlier assistant turns sent back as conversation history.</summary>
    History,

    /// <summary>Retrieved documents and tool results fed to the model: the channel of indirect injection.</summary>
    ToolOutput,

    /// <summary>What the model answered.</summary>
    ModelOutput,
}

/// <summary>One text of a payload, numbered so a check can ask for it to be replaced.</summary>
public sealed record PayloadText(int Index, string Text, TextSource Source);

/// <summary>
/// A request or response body as the checks see it, independent of the wire protocol: chat messages, plain texts,
/// feature rows of a classic model, its predictions, or opaque bytes. Text-bearing payloads expose their texts through
/// <see cref="Texts"/> and can be rebuilt with some of them replaced (<see cref="WithTexts"/>), which is how a
/// redaction reaches the wire.
/// </summary>
public abstract record GuardPayload
{
    /// <summary>Every text in the payload, in a stable order.</summary>
    public virtual IEnumerable<PayloadText> Texts() => [];

    /// <summary>This payload with the texts at the given indexes replaced.</summary>
    public virtual GuardPayload WithTexts(IReadOnlyDictionary<int, string> replacements) => this;
}

/// <summary>A chat message. <see cref="Role"/> is the protocol's own word (system, developer, user, assistant, tool).</summary>
public sealed record ChatMessage(string Role, string Content, string? Name = null)
{
    public TextSource Source => Role switch
    {
        "system" or "developer" => TextSource.SystemPrompt,
        "assistant" => TextSource.History,
        "tool" or "function" => TextSource.ToolOutput,
        _ => TextSource.UserInput,
    };
}

/// <summary>Chat messages: an OpenAI-style request, or the choices of a response (then every message is model output).</summary>
public sealed record ChatPayload(ImmutableArray<ChatMessage> Messages, bool IsResponse = false) : GuardPayload
{
    public override IEnumerable<PayloadText> Texts() =>
        Messages.Select((m, i) => new PayloadText(i, m.Content, IsResponse ? TextSource.ModelOutput : m.Source));

    public override GuardPayload WithTexts(IReadOnlyDictionary<int, string> replacements)
    {
        ArgumentNullException.ThrowIfNull(replacements);
        return this with { Messages = [.. Messages.Select((m, i) => replacements.TryGetValue(i, out var t) ? m with { Content = t } : m)] };
    }
}

/// <summary>Plain texts of one source: completion prompts, embedding inputs, completion choices.</summary>
public sealed record TextPayload(ImmutableArray<string> Items, TextSource Source) : GuardPayload
{
    public override IEnumerable<PayloadText> Texts() => Items.Select((t, i) => new PayloadText(i, t, Source));

    public override GuardPayload WithTexts(IReadOnlyDictionary<int, string> replacements)
    {
        ArgumentNullException.ThrowIfNull(replacements);
        return this with { Items = [.. Items.Select((t, i) => replacements.GetValueOrDefault(i, t))] };
    }
}

/// <summary>One feature value of a classic model's input row: a number, a string, or missing.</summary>
public readonly record struct FeatureValue(double? Number, string? Text)
{
    public bool IsMissing => Number is null && Text is null;

    public static FeatureValue Of(double number) => new(number, null);

    public static FeatureValue Of(string text) => new(null, text);

    public static FeatureValue Missing => default;
}

/// <summary>
/// Input rows of a classic model (v2 infer, TF Serving instances, MLflow dataframe_split/records).
/// <see cref="FeatureNames"/> is empty where the protocol does not name them.
/// </summary>
public sealed record PredictPayload(ImmutableArray<ImmutableArray<FeatureValue>> Instances, ImmutableArray<string> FeatureNames) : GuardPayload;

/// <summary>One prediction: the label where the model gives one, and scores (probabilities) per class where it gives them.</summary>
public sealed record Prediction(string? Label, ImmutableArray<double> Scores);

/// <summary>A classic model's answer. Confidence masking rewrites the scores (rounding, top-k, label only).</summary>
public sealed record PredictionPayload(ImmutableArray<Prediction> Predictions, ImmutableArray<string> ClassNames) : GuardPayload;

/// <summary>A body no protocol reader understands: only size, access control and logging apply.</summary>
public sealed record OpaquePayload(ReadOnlyMemory<byte> Body, string? ContentType) : GuardPayload;
