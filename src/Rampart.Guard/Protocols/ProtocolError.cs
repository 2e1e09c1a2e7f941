using Rampart.Guard.Pipeline;

namespace Rampart.Guard.Protocols;

/// <summary>Why a body could not be read. Each maps to one HTTP status and a stable code in the error JSON.</summary>
public enum ProtocolErrorKind
{
    /// <summary>The body is larger than <see cref="ProtocolLimits.MaxBodyBytes"/> (413).</summary>
    BodyTooLarge,

    /// <summary>The body is not valid UTF-8 (400).</summary>
    InvalidUtf8,

    /// <summary>The body is not JSON (400).</summary>
    MalformedJson,

    /// <summary>The JSON nests deeper than <see cref="ProtocolLimits.MaxDepth"/> (400).</summary>
    TooDeep,

    /// <summary>The JSON is well formed but not the shape the protocol defines (400).</summary>
    UnexpectedShape,

    /// <summary>More items (messages, instances, values) than <see cref="ProtocolLimits.MaxItems"/> (413).</summary>
    TooManyItems,
}

/// <summary>A body the reader refused, with a reason fit for the caller (it never echoes the body).</summary>
public sealed record ProtocolError(ProtocolErrorKind Kind, string Message)
{
    /// <summary>The HTTP status a host answers with.</summary>
    public int StatusCode => Kind is ProtocolErrorKind.BodyTooLarge or ProtocolErrorKind.TooManyItems ? 413 : 400;

    /// <summary>A stable machine-readable code: <c>body_too_large</c>, <c>invalid_utf8</c>, ...</summary>
    public string Code => Kind switch
    {
        ProtocolErrorKind.BodyTooLarge => "body_too_large",
        ProtocolErrorKind.InvalidUtf8 => "invalid_utf8",
        ProtocolErrorKind.MalformedJson => "malformed_json",
        ProtocolErrorKind.TooDeep => "json_too_deep",
        ProtocolErrorKind.TooManyItems => "too_many_items",
        _ => "unexpected_shape",
    };
}

/// <summary>Bounds on what a protocol reader accepts. Everything beyond them is refused, never half-read.</summary>
public sealed record ProtocolLimits
{
    public int MaxBodyBytes { get; init; } = 4 * 1024 * 1024;

    public int MaxDepth { get; init; } = 32;

    /// <summary>Messages, prompts, instances or tensor values in one body.</summary>
    public int MaxItems { get; init; } = 1_000_000;

    public static ProtocolLimits Default { get; } = new();
}

/// <summary>Raised inside readers to unwind to the entry point, which turns it into a <see cref="ProtocolError"/>.</summary>
internal sealed class ProtocolException : Exception
{
    public ProtocolException()
    {
    }

    public ProtocolException(string message)
        : base(message)
    {
    }

    public ProtocolException(string message, Exception inner)
        : base(message, inner)
    {
    }

    public ProtocolException(ProtocolErrorKind kind, string message)
        : base(message) => Kind = kind;

    public ProtocolErrorKind Kind { get; } = ProtocolErrorKind.UnexpectedShape;

    public static ProtocolException Shape(string message) => new(ProtocolErrorKind.UnexpectedShape, message);
}
