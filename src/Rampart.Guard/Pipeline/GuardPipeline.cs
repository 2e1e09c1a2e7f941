using System.Collections.Immutable;

namespace Rampart.Guard.Pipeline;

/// <summary>
/// The result of running a pipeline: the action taken (what the host must do), the action the checks asked for
/// (equal in enforce mode; in monitor mode the action taken is never stricter than Annotate), every signal, and the
/// payload to forward (rewritten by redactions in enforce mode, the original in monitor mode).
/// </summary>
public sealed record GuardOutcome(GuardAction Action, GuardAction Requested, ImmutableArray<GuardSignal> Signals, GuardPayload Payload, GuardMode Mode)
{
    public bool Blocked => Action == GuardAction.Block;

    /// <summary>The rule ids that fired, once each, in order of first appearance.</summary>
    public IEnumerable<string> RuleIds => Signals.Select(s => s.RuleId).Distinct(StringComparer.Ordinal);
}

/// <summary>
/// Runs ordered input checks and ordered output checks. In <see cref="GuardMode.Enforce"/> each check sees the payload
/// as rewritten by the checks before it, and the first block stops the run. In <see cref="GuardMode.Monitor"/> every
/// check runs on the original payload and the outcome records what would have happened without changing traffic.
/// A check that throws fails closed: the run is blocked with <see cref="CheckFailedRuleId"/> (in monitor mode, annotated).
/// </summary>
public sealed class GuardPipeline
{
    /// <summary>The rule raised when a check itself fails: an error in a check never waves traffic through.</summary>
    public const string CheckFailedRuleId = "RAMP-GUARD-000";

    private readonly ImmutableArray<IInputCheck> _inputs;
    private readonly ImmutableArray<IOutputCheck> _outputs;

    public GuardPipeline(IEnumerable<IInputCheck> inputs, IEnumerable<IOutputCheck> outputs, GuardMode mode = GuardMode.Enforce)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(outputs);
        _inputs = [.. inputs];
        _outputs = [.. outputs];
        Mode = mode;
    }

    public GuardMode Mode { get; }

    public ImmutableArray<IInputCheck> InputChecks => _inputs;

    public ImmutableArray<IOutputCheck> OutputChecks => _outputs;

    /// <summary>An empty pipeline: allows everything.</summary>
    public static GuardPipeline Empty { get; } = new([], []);

    public ValueTask<GuardOutcome> CheckInputAsync(GuardRequest request, GuardContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        return RunAsync(_inputs, request.Payload, static (check, payload, state, ct) =>
            check.CheckAsync(state.Request with { Payload = payload }, state.Context, ct), (Request: request, Context: context), static c => c.Id, cancellationToken);
    }

    public ValueTask<GuardOutcome> CheckOutputAsync(GuardRequest request, GuardResponse response, GuardContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(response);
        return RunAsync(_outputs, response.Payload, static (check, payload, state, ct) =>
            check.CheckAsync(state.Request, state.Response with { Payload = payload }, state.Context, ct), (Request: request, Response: response, Context: context), static c => c.Id, cancellationToken);
    }

    private async ValueTask<GuardOutcome> RunAsync<TCheck, TState>(
        ImmutableArray<TCheck> checks,
        GuardPayload original,
        Func<TCheck, GuardPayload, TState, CancellationToken, ValueTask<GuardDecision>> run,
        TState state,
        Func<TCheck, string> id,
        CancellationToken cancellationToken)
    {
        var requested = GuardAction.Allow;
        var signals = ImmutableArray.CreateBuilder<GuardSignal>();
        var payload = original;
        foreach (var check in checks)
        {
            GuardDecision decision;
            try
            {
                decision = await run(check, Mode == GuardMode.Enforce ? payload : original, state, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                throw;
            }
#pragma warning disable CA1031 // A failing check must not crash the host or wave the request through: fail closed with a signal.
            catch (Exception e)
#pragma warning restore CA1031
            {
                decision = GuardDecision.Block(new GuardSignal(CheckFailedRuleId, 1, $"check '{id(check)}' failed: {e.GetType().Name}"));
            }

            foreach (var signal in decision.Signals)
            {
                signals.Add(signal.CheckId.Length == 0 ? signal with { CheckId = id(check) } : signal);
            }

            requested = (GuardAction)Math.Max((int)requested, (int)decision.Action);
            if (Mode == GuardMode.Enforce)
            {
                if (decision.Action == GuardAction.Redact && decision.Rewritten is not null)
                {
                    payload = decision.Rewritten;
                }

                if (decision.Action == GuardAction.Block)
                {
                    break;
                }
            }
        }

        var taken = Mode == GuardMode.Enforce ? requested : (requested == GuardAction.Allow ? GuardAction.Allow : GuardAction.Annotate);
        return new GuardOutcome(taken, requested, signals.ToImmutable(), Mode == GuardMode.Enforce ? payload : original, Mode);
    }
}
