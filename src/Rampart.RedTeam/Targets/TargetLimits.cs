namespace Rampart.RedTeam.Targets;

/// <summary>
/// Bounds on what one request to a target may cost: how long it may take (headers and body together), how many
/// bytes an answer may have, and how many server-sent events a streamed answer may send. A target that breaks a bound
/// gives a <see cref="TargetException"/>, never a hang or an unbounded buffer.
/// </summary>
/// <param name="Timeout">Time for one whole request, from sending to the last byte read.</param>
/// <param name="MaxResponseBytes">Largest answer body accepted (streamed or not).</param>
/// <param name="MaxStreamEvents">Most server-sent events read from one streamed answer.</param>
public sealed record TargetLimits(TimeSpan Timeout, int MaxResponseBytes, int MaxStreamEvents)
{
    /// <summary>30 s, 1 MiB, 10,000 events.</summary>
    public static TargetLimits Default { get; } = new(TimeSpan.FromSeconds(30), 1 << 20, 10_000);
}

/// <summary>Why a request to a target failed.</summary>
public enum TargetFailure
{
    /// <summary>No connection could be made (refused, DNS, TLS).</summary>
    Unreachable,

    /// <summary>The answer did not arrive completely within the timeout.</summary>
    Timeout,

    /// <summary>The answer was larger than the byte cap, or a stream sent more events than allowed.</summary>
    TooLarge,

    /// <summary>A successful status with a body that is not the protocol's JSON.</summary>
    NotJson,

    /// <summary>An error status the harness cannot read as a refusal (5xx, 404, ...).</summary>
    HttpStatus,

    /// <summary>JSON of the wrong shape for the protocol.</summary>
    Protocol,
}

/// <summary>A request to the target failed; <see cref="Exception.Message"/> says how, in one line.</summary>
public sealed class TargetException : Exception
{
    public TargetException(TargetFailure failure, string message, Exception? inner = null)
        : base(message, inner) => Failure = failure;

    public TargetException()
    {
    }

    public TargetException(string message)
        : base(message)
    {
    }

    public TargetException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public TargetFailure Failure { get; }

    /// <summary>Whether the failure says the target itself is unusable (every further request will fail the same way).</summary>
    public bool IsFatal => Failure is TargetFailure.Unreachable;
}
