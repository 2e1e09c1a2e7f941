using System.Collections.Immutable;

namespace Rampart.Guard.Pipeline;

/// <summary>Who is calling: the authenticated principal (key id, token subject or certificate) and its roles.</summary>
public sealed record GuardPrincipal(string Id, ImmutableArray<string> Roles)
{
    /// <summary>Offline checks (`rampart guard check`) run as this principal.</summary>
    public static GuardPrincipal Offline { get; } = new("offline", []);
}

/// <summary>The wire protocol of a route, which decides how its bodies are read into payloads.</summary>
public enum GuardProtocol
{
    /// <summary>Any other HTTP: access control and logging only.</summary>
    Opaque,

    /// <summary>OpenAI-compatible /v1/chat/completions.</summary>
    OpenAiChat,

    /// <summary>OpenAI-compatible /v1/completions.</summary>
    OpenAiCompletions,

    /// <summary>OpenAI-compatible /v1/embeddings.</summary>
    OpenAiEmbeddings,

    /// <summary>Open Inference Protocol v2 (KServe, Triton): /v2/models/{m}/infer.</summary>
    InferenceV2,

    /// <summary>TF Serving REST: /v1/models/{m}:predict.</summary>
    TfServing,

    /// <summary>MLflow scoring server: /invocations.</summary>
    MlflowInvocations,
}

/// <summary>
/// A request as the checks see it: who, which route and model, which operation (e.g. <c>predict</c>,
/// <c>predict_proba</c>, <c>chat</c>), and the parsed payload. <see cref="ReceivedAt"/> comes from the host's
/// <see cref="TimeProvider"/>, so detectors that keep state over time are testable.
/// </summary>
public sealed record GuardRequest(
    string RequestId,
    GuardPrincipal Principal,
    string Route,
    string? Model,
    string Operation,
    GuardProtocol Protocol,
    GuardPayload Payload,
    DateTimeOffset ReceivedAt);

/// <summary>A response as the output checks see it (whole body; streams are checked through <see cref="ITextCheck"/> windows).</summary>
public sealed record GuardResponse(int StatusCode, GuardPayload Payload)
{
    /// <summary>The size of the response body as received from upstream (0 where unknown).</summary>
    public long BodyBytes { get; init; }

    /// <summary>Completion tokens the upstream reported (<c>usage.completion_tokens</c>), where it did.</summary>
    public long? OutputTokens { get; init; }
}
