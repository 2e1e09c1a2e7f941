
using Rampart.Guard.Pipeline;

namespace Rampart.Guard.Protocols;

/// <summary>The outcome of reading a body: a <see cref="GuardBody"/> or a <see cref="ProtocolError"/>, never an exception.</summary>
public readonly record struct ProtocolResult(GuardBody? Body, ProtocolError? Error)
{
    public bool Ok => Body is not null;
}

/// <summary>
/// Reads request and response bodies of the protocols the gateway understands into <see cref="GuardPayload"/>s.
/// Bounded (<see cref="ProtocolLimits"/>) and total: malformed, oversized, too deep or mis-shaped input comes back as a
/// <see cref="ProtocolError"/>; no exception escapes. Opaque routes give an <see cref="OpaquePayload"/> (size checked).
/// </summary>
public static class ProtocolReader
{
    public static ProtocolResult ReadRequest(GuardProtocol protocol, ReadOnlyMemory<byte> body, string? contentType = null, ProtocolLimits? limits = null) =>
        Read(protocol, body, contentType, false, limits ?? ProtocolLimits.Default);

    public static ProtocolResult ReadResponse(GuardProtocol protocol, ReadOnlyMemory<byte> body, string? contentType = null, ProtocolLimits? limits = null) =>
        Read(protocol, body, contentType, true, limits ?? ProtocolLimits.Default);

    /// <summary>True for protocols whose bodies are LLM text (OpenAI-compatible).</summary>
    public static bool IsLlm(GuardProtocol protocol) => protocol is GuardProtocol.OpenAiChat or GuardProtocol.OpenAiCompletions or GuardProtocol.OpenAiEmbeddings;

    private static ProtocolResult Read(GuardProtocol protocol, ReadOnlyMemory<byte> body, string? contentType, bool isResponse, ProtocolLimits limits)
    {
        if (body.Length > limits.MaxBodyBytes)
        {
            return Fail(ProtocolErrorKind.BodyTooLarge, $"the body has {body.Length} bytes; the limit is {limits.MaxBodyBytes}");
        }

        if (protocol == GuardProtocol.Opaque)
        {
            return new ProtocolResult(new GuardBody(protocol, isResponse, new OpaquePayload(body, contentType), null), null);
        }

        try
        {
            var root = BoundedJson.Parse(body.Span, limits);
            return new ProtocolResult(protocol switch
            {
                GuardProtocol.OpenAiChat or GuardProtocol.OpenAiCompletions or GuardProtocol.OpenAiEmbeddings => OpenAiReader.Read(protocol, root, isResponse, limits),
                GuardProtocol.TfServing => TfServingReader.Read(root, isResponse, limits),
                GuardProtocol.MlflowInvocations => MlflowReader.Read(root, isResponse, limits),
                GuardProtocol.InferenceV2 => InferenceV2Reader.Read(root, isResponse, limits),
                _ => throw ProtocolException.Shape($"no reader for {protocol}"),
            }, null);
        }
        catch (ProtocolException e)
        {
            return Fail(e.Kind, e.Message);
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException or OverflowException or System.Text.Json.JsonException or ArgumentException)
        {
            // A value of the wrong JSON kind where the reader asked for another (e.g. a huge number as long).
            return Fail(ProtocolErrorKind.UnexpectedShape, $"the body does not have the shape {protocol} defines ({e.GetType().Name})");
        }
    }

    private static ProtocolResult Fail(ProtocolErrorKind kind, string message) => new(null, new ProtocolError(kind, message));
}
