using System.Buffers;
using System.Collections.Immutable;
using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;
using Rampart.Gateway.Auth;
using Rampart.Gateway.Config;
using Rampart.Gateway.Limits;
using Rampart.Guard.Audit;
using Rampart.Guard.Checks;
using Rampart.Guard.Pipeline;
using Rampart.Guard.Protocols;
using Rampart.Guard.Streaming;
using StackExchange.Redis;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Model;

namespace Rampart.Gateway.Hosting;

/// <summary>
/// The gateway's work on one request, inside YARP's proxy pipeline (after the route matched, before forwarding):
/// authenticate, authorise, rate-limit, read the body with the route's protocol, run input checks, forward, run output
/// checks on the whole answer (or on the stream through <see cref="SseGuard"/>), write the audit entry, answer.
/// </summary>
internal sealed partial class GuardMiddleware(GatewayState state, IQuotas quotas, AuditLog? audit, GatewayAlarms alarms, GatewayMetrics metrics, TimeProvider time, ILogger<GuardMiddleware> logger, RevocationWatcher? revocations = null, EventShipper? events = null)
{
    private const long MaxBufferedResponse = 16L * 1024 * 1024;

    public async Task InvokeAsync(HttpContext context, Func<Task> next)
    {
        var started = Stopwatch.GetTimestamp();
        var proxy = context.GetReverseProxyFeature();
        var snapshot = state.Current;
        if (!snapshot.Guards.TryGetValue(proxy.Route.Config.RouteId, out var guard))
        {
            await GatewayErrors.WriteAsync(context, context.Response.Body, 404, "not_found", "no such route").ConfigureAwait(false);
            return;
        }

        var route = guard.Route;
        var record = new AuditEntry { Time = time.GetUtcNow(), RequestId = context.TraceIdentifier, Route = route.Name, Operation = route.EffectiveOperation };
        var signals = new List<GuardSignal>();
        var outcome = await HandleAsync(context, next, snapshot, guard, record, signals).ConfigureAwait(false);
        GatewayTracing.Tag(Activity.Current, outcome);
        var elapsed = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        outcome = outcome with { Status = context.Response.StatusCode, LatencyMs = Math.Round(elapsed, 3) };
        metrics.Observe(route.Name, outcome.Status, outcome.Decision, outcome.Rules, elapsed);
        if (audit is not null)
        {
            try
            {
                // Durable before the response completes: the middleware returns (and Kestrel ends the response) only after this.
                await audit.AppendAsync(outcome).ConfigureAwait(false);
            }
#pragma warning disable CA1031 // an audit failure is logged and the connection aborted: the caller must not take an unlogged answer as acknowledged
            catch (Exception e)
#pragma warning restore CA1031
            {
                AuditFailed(logger, e, context.TraceIdentifier);
                context.Abort();
            }
        }

        // With events:, a copy for the Rampart server (a bounded queue: never waits, drops and counts when full).
        events?.Enqueue(outcome, signals);
        try
        {
            // Alarms (extraction, drift, health/injection campaign) become audit events and ledger incidents.
            await alarms.ObserveAsync(outcome, signals, CancellationToken.None).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // a failure to record an alarm must not fail the request it came with; it is logged
        catch (Exception e)
#pragma warning restore CA1031
        {
            AlarmFailed(logger, e, context.TraceIdentifier);
        }
    }

    private async Task<AuditEntry> HandleAsync(HttpContext context, Func<Task> next, GatewaySnapshot snapshot, RouteGuard guard, AuditEntry record, List<GuardSignal> signals)
    {
        var route = guard.Route;
        var request = context.Request;
        var realBody = context.Response.Body;

        // 1. Who is calling (public routes skip this, explicitly configured).
        var principal = new GuardPrincipal("anonymous", []);
        if (!route.Public)
        {
            var auth = await snapshot.Authenticator.AuthenticateAsync(request.Headers.Authorization.FirstOrDefault(), request.Headers["X-Api-Key"].FirstOrDefault(), context.Connection.ClientCertificate).ConfigureAwait(false);
            if (auth.Principal is null)
            {
                context.Response.Headers.WWWAuthenticate = "Bearer";
                await GatewayErrors.WriteAsync(context, realBody, 401, "unauthenticated", auth.Refusal ?? "credentials required").ConfigureAwait(false);
                return record with { Decision = "unauthenticated" };
            }

            principal = auth.Principal;
            if (!Rbac.MayUseRoute(route, principal, route.EffectiveOperation))
            {
                await GatewayErrors.WriteAsync(context, realBody, 403, "forbidden", $"'{principal.Id}' may not {route.EffectiveOperation} on this route").ConfigureAwait(false);
                return record with { Principal = principal.Id, Decision = "forbidden" };
            }

            if (!auth.KeyScopes.IsDefaultOrEmpty && !auth.KeyScopes.Contains("*") && !auth.KeyScopes.Contains(route.Name))
            {
                await GatewayErrors.WriteAsync(context, realBody, 403, "forbidden", "this API key is not scoped for the route").ConfigureAwait(false);
                return record with { Principal = principal.Id, Decision = "forbidden" };
            }
        }

        record = record with { Principal = principal.Id };

        // 1b. A route that serves a registered model version is refused once that version is revoked on the server,
        // and while the revocation list is too old to tell (fail closed).
        if (route.ModelVersion is { } version && RevocationRefusal(version) is { } refusal)
        {
            var stale = refusal.RuleId == GuardRuleIds.RevocationsStale;
            await GatewayErrors.WriteAsync(context, realBody, stale ? 503 : 403, stale ? "revocations_stale" : "model_revoked", refusal.Reason, refusal.RuleId).ConfigureAwait(false);
            return record with { Decision = stale ? "refused" : "blocked", Rules = [refusal.RuleId] };
        }

        // 2. The body, read with the route's protocol (bounded; 4xx on anything unreadable).
        var limits = new ProtocolLimits { MaxBodyBytes = (int)Math.Min(int.MaxValue, snapshot.Config.Limits.MaxBodyBytes), MaxDepth = snapshot.Config.Limits.MaxJsonDepth };
        var bytes = await ReadBodyAsync(request, limits.MaxBodyBytes, context.RequestAborted).ConfigureAwait(false);
        if (bytes is null)
        {
            await GatewayErrors.WriteAsync(context, realBody, 413, "body_too_large", $"the body is larger than {limits.MaxBodyBytes} bytes", GuardRuleIds.UnreadableBody).ConfigureAwait(false);
            return record with { Decision = "refused", Rules = [GuardRuleIds.UnreadableBody] };
        }

        var protocol = HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method) || bytes.Length == 0 && route.Protocol == GuardProtocol.Opaque ? GuardProtocol.Opaque : route.Protocol;
        var read = ProtocolReader.ReadRequest(protocol, bytes, request.ContentType, limits);
        if (!read.Ok)
        {
            await GatewayErrors.WriteAsync(context, realBody, read.Error!.StatusCode, read.Error.Code, read.Error.Message, GuardRuleIds.UnreadableBody).ConfigureAwait(false);
            return record with { Decision = "refused", Rules = [GuardRuleIds.UnreadableBody], RequestDigest = Digest(bytes) };
        }

        var body = read.Body!;
        var model = body.Model ?? context.GetRouteValue("model") as string;
        record = record with { Model = model, RequestDigest = Digest(bytes) };

        // 3. May this principal do this operation on this model here? Deny by default.
        if (!route.Public && !Rbac.Allows(route, principal, route.EffectiveOperation, model))
        {
            await GatewayErrors.WriteAsync(context, realBody, 403, "forbidden", $"'{principal.Id}' may not {route.EffectiveOperation} on this route{(model is null ? "" : " for this model")}").ConfigureAwait(false);
            return record with { Decision = "forbidden" };
        }

        // 4. Limits (in Redis: fail closed or open, as configured, when it cannot be reached).
        int? retryAfter;
        try
        {
            retryAfter = await quotas.TryAcquireAsync(route, principal.Id, context.RequestAborted).ConfigureAwait(false);
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            QuotaStoreFailed(logger, e, context.TraceIdentifier);
            metrics.QuotaStoreFailure();
            if (snapshot.Config.Redis is not { FailOpen: true })
            {
                context.Response.Headers.RetryAfter = "1";
                await GatewayErrors.WriteAsync(context, realBody, 503, "quota_unavailable", "the shared rate-limit store cannot be reached; retry shortly").ConfigureAwait(false);
                return record with { Decision = "refused" };
            }

            retryAfter = null;
        }

        if (retryAfter is { } wait)
        {
            var retryAfterSeconds = wait;
            context.Response.Headers.RetryAfter = retryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
            await GatewayErrors.WriteAsync(context, realBody, 429, "rate_limited", $"rate limit of route {route.Name} reached; retry after {retryAfterSeconds} s").ConfigureAwait(false);
            return record with { Decision = "rate_limited" };
        }

        // 5. Input checks.
        var guardRequest = new GuardRequest(context.TraceIdentifier, principal, route.Name, model, route.EffectiveOperation, protocol, body.Payload, record.Time);
        GuardOutcome input;
        using (var span = GatewayTracing.Source.StartActivity("guard input checks"))
        {
            input = await guard.Pipeline.CheckInputAsync(guardRequest, new GuardContext(time), context.RequestAborted).ConfigureAwait(false);
            span?.SetTag("rampart.action", input.Action.ToString());
        }

        signals.AddRange(input.Signals);
        var rules = input.RuleIds.ToImmutableArray();
        if (input.Blocked)
        {
            var rule = rules.FirstOrDefault(r => input.Signals.Any(s => s.RuleId == r)) ?? GuardRuleIds.CheckFailed;
            await GatewayErrors.WriteAsync(context, realBody, 403, "blocked_by_guard", "the request was refused by the gateway's guard policy", rule).ConfigureAwait(false);
            return record with { Decision = "blocked", Rules = rules };
        }

        var forwarded = input.Action == GuardAction.Redact ? body.Write(input.Payload) : bytes;
        request.Body = new MemoryStream(forwarded, writable: false);
        request.ContentLength = forwarded.Length;
        record = record with { RequestBody = snapshot.KeepBodies && protocol != GuardProtocol.Opaque ? Encoding.UTF8.GetString(forwarded) : null };

        var cluster = route.Cluster;
        if (model is not null && route.Models.TryGetValue(model, out var clusterId))
        {
            RouteToCluster(context, snapshot, clusterId);
            cluster = clusterId;
        }

        var retries = snapshot.Config.Clusters.TryGetValue(cluster, out var clusterConfig) ? clusterConfig.Retries : 0;

        // 6. Forward, then check the answer.
        if (body.Stream && protocol is GuardProtocol.OpenAiChat or GuardProtocol.OpenAiCompletions)
        {
            return await StreamAsync(context, next, guard, record, rules, protocol).ConfigureAwait(false);
        }

        var capture = new MemoryStream();
        context.Response.Body = capture;
        try
        {
            var candidates = context.GetReverseProxyFeature().AvailableDestinations;
            await next().ConfigureAwait(false);
            for (var attempt = 1; attempt <= retries && MayRetry(context, request.Method); attempt++)
            {
                candidates = PrepareRetry(context, candidates, forwarded, capture);
                await next().ConfigureAwait(false);
            }
        }
        finally
        {
            context.Response.Body = realBody;
        }

        // No Content-Length on what the gateway writes: the response is chunked and completes only when this handler
        // returns, which is after the audit entry is durable (a client never holds an answer whose entry could be lost).
        context.Response.ContentLength = null;
        if (context.GetForwarderErrorFeature() is { } error)
        {
            return await UpstreamErrorAsync(context, realBody, error, record, rules).ConfigureAwait(false);
        }

        var answer = capture.GetBuffer().AsMemory(0, (int)capture.Length);
        var responseRead = context.Response.StatusCode is >= 200 and < 300 && IsJson(context.Response.ContentType)
            ? ProtocolReader.ReadResponse(protocol, answer, context.Response.ContentType, limits with { MaxBodyBytes = (int)MaxBufferedResponse })
            : new ProtocolResult(null, null);
        if (responseRead.Body is not { } responseBody)
        {
            if (context.Response.StatusCode is >= 200 and < 300 && protocol != GuardProtocol.Opaque && IsJson(context.Response.ContentType))
            {
                await GatewayErrors.WriteAsync(context, realBody, 502, "bad_upstream_response", $"the upstream's answer is not a readable {protocol} response ({responseRead.Error?.Code})", GuardRuleIds.UnreadableBody).ConfigureAwait(false);
                return record with { Decision = "refused", Rules = [.. rules, GuardRuleIds.UnreadableBody] };
            }

            await realBody.WriteAsync(answer, context.RequestAborted).ConfigureAwait(false);
            return record with { Decision = Decision(input.Action), Rules = rules, ResponseDigest = Digest(answer.Span) };
        }

        var usage = responseBody.Usage;
        try
        {
            await quotas.ChargeTokensAsync(route, principal.Id, usage?.TotalTokens ?? 0, context.RequestAborted).ConfigureAwait(false);
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            QuotaStoreFailed(logger, e, context.TraceIdentifier);
            metrics.QuotaStoreFailure();
        }

        var guardResponse = new GuardResponse(context.Response.StatusCode, responseBody.Payload) { BodyBytes = answer.Length, OutputTokens = usage?.CompletionTokens };
        GuardOutcome output;
        using (var span = GatewayTracing.Source.StartActivity("guard output checks"))
        {
            output = await guard.Pipeline.CheckOutputAsync(guardRequest with { Payload = input.Payload }, guardResponse, new GuardContext(time), context.RequestAborted).ConfigureAwait(false);
            span?.SetTag("rampart.action", output.Action.ToString());
        }

        signals.AddRange(output.Signals);
        rules = [.. rules.Concat(output.RuleIds).Distinct()];
        record = record with { PromptTokens = usage?.PromptTokens ?? 0, CompletionTokens = usage?.CompletionTokens ?? 0, ResponseDigest = Digest(answer.Span) };
        if (output.Blocked)
        {
            var rule = output.Signals.First(s => s.RuleId != GuardRuleIds.ConfidenceMasked).RuleId;
            await GatewayErrors.WriteAsync(context, realBody, 502, "answer_blocked_by_guard", "the model's answer was withheld by the gateway's guard policy", rule).ConfigureAwait(false);
            return record with { Decision = "blocked", Rules = rules };
        }

        var sent = output.Action == GuardAction.Redact ? responseBody.Write(output.Payload) : answer.ToArray();
        await realBody.WriteAsync(sent, context.RequestAborted).ConfigureAwait(false);
        return record with
        {
            Decision = Decision((GuardAction)Math.Max((int)input.Action, (int)output.Action)),
            Rules = rules,
            ResponseBody = record.RequestBody is null ? null : Encoding.UTF8.GetString(sent),
        };
    }

    /// <summary>Without a revocation watcher (a reload added modelVersion to a gateway started without revocations:), nothing can be vouched for.</summary>
    private GuardSignal? RevocationRefusal(ModelVersionRef version) =>
        revocations is null
            ? new GuardSignal(GuardRuleIds.RevocationsStale, 1, $"the gateway was started without revocations:, so whether {version} is revoked is unknown (restart it)")
            : revocations.Judge(version);

    private static async Task<AuditEntry> StreamAsync(HttpContext context, Func<Task> next, RouteGuard guard, AuditEntry record, ImmutableArray<string> rules, GuardProtocol protocol)
    {
        var realBody = context.Response.Body;
        var sse = new SseGuard(protocol, guard.OutputTextChecks, guard.Route.Mode, maxTextBytes: guard.Route.Checks.MaxResponseBytes);
        await using var stream = new SseGuardStream(context, realBody, sse);
        context.Response.Body = stream;
        try
        {
            await next().ConfigureAwait(false);
            await stream.CompleteAsync().ConfigureAwait(false);
        }
        finally
        {
            context.Response.Body = realBody;
        }

        if (context.GetForwarderErrorFeature() is { } error && !stream.Started)
        {
            return await UpstreamErrorAsync(context, realBody, error, record, rules).ConfigureAwait(false);
        }

        return record with
        {
            Decision = Decision(sse.Mode == GuardMode.Enforce ? sse.Requested : (sse.Requested == GuardAction.Allow ? GuardAction.Allow : GuardAction.Annotate)),
            Rules = [.. rules.Concat(sse.Signals.Select(s => s.RuleId)).Distinct()],
            CompletionTokens = (sse.TextCharacters + 3) / 4,
        };
    }

    private static async Task<AuditEntry> UpstreamErrorAsync(HttpContext context, Stream realBody, IForwarderErrorFeature error, AuditEntry record, ImmutableArray<string> rules)
    {
        var (status, code, message) = error.Error switch
        {
            ForwarderError.RequestTimedOut => (504, "upstream_timeout", "the model endpoint did not answer in time"),
            ForwarderError.RequestCanceled or ForwarderError.RequestBodyCanceled or ForwarderError.ResponseBodyCanceled => (499, "client_closed", "the client went away"),
            ForwarderError.NoAvailableDestinations => (503, "no_healthy_upstream", "no healthy model endpoint is available"),
            _ => (502, "upstream_error", $"the model endpoint failed ({error.Error})"),
        };
        if (!context.Response.HasStarted)
        {
            context.Response.Headers.Clear();
            await GatewayErrors.WriteAsync(context, realBody, status, code, message).ConfigureAwait(false);
        }

        return record with { Decision = "upstream_error", Rules = rules };
    }

    /// <summary>
    /// Retries only what is safe to send twice: a request that never reached the upstream (the connection was refused
    /// or could not be made), whatever its method, and an idempotent request (GET, HEAD, OPTIONS, PUT, DELETE, TRACE)
    /// after any transport failure. A POST that may have reached the model is never sent again. Nothing is retried
    /// once the client went away.
    /// </summary>
    internal static bool MayRetry(HttpContext context, string method)
    {
        if (context.RequestAborted.IsCancellationRequested || context.Response.HasStarted || context.GetForwarderErrorFeature() is not { } error)
        {
            return false;
        }

        var neverSent = error.Error == ForwarderError.Request && error.Exception is HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError };
        var idempotent = HttpMethods.IsGet(method) || HttpMethods.IsHead(method) || HttpMethods.IsOptions(method) || HttpMethods.IsPut(method) || HttpMethods.IsDelete(method) || HttpMethods.IsTrace(method);
        return neverSent || (idempotent && error.Error is ForwarderError.Request or ForwarderError.RequestTimedOut or ForwarderError.ResponseHeaders);
    }

    /// <summary>Clears the failed attempt and steers the next one away from the destination that failed (when another is left).</summary>
    private static IReadOnlyList<DestinationState> PrepareRetry(HttpContext context, IReadOnlyList<DestinationState> candidates, byte[] body, MemoryStream capture)
    {
        var proxy = context.GetReverseProxyFeature();
        var others = candidates.Where(d => !ReferenceEquals(d, proxy.ProxiedDestination)).ToList();
        var next = others.Count > 0 ? others : candidates;
        proxy.AvailableDestinations = next;
        context.Features.Set<IForwarderErrorFeature>(null);
        context.Request.Body = new MemoryStream(body, writable: false);
        capture.SetLength(0);
        context.Response.Headers.Clear();
        context.Response.StatusCode = StatusCodes.Status200OK;
        return next;
    }

    private static void RouteToCluster(HttpContext context, GatewaySnapshot snapshot, string clusterId)
    {
        if (snapshot.ProxyState.TryGetCluster(clusterId, out var cluster))
        {
            var feature = context.GetReverseProxyFeature();
            feature.AvailableDestinations = cluster.DestinationsState.AvailableDestinations;
        }
    }

    /// <summary>Reads the request body up to <paramref name="max"/> bytes; null when it is longer.</summary>
    private static async Task<byte[]?> ReadBodyAsync(HttpRequest request, int max, CancellationToken cancellationToken)
    {
        if (request.ContentLength > max)
        {
            return null;
        }

        var reader = request.BodyReader;
        while (true)
        {
            var result = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            if (result.Buffer.Length > max)
            {
                reader.AdvanceTo(result.Buffer.Start, result.Buffer.End);
                return null;
            }

            if (result.IsCompleted)
            {
                var bytes = result.Buffer.ToArray();
                reader.AdvanceTo(result.Buffer.End);
                return bytes;
            }

            reader.AdvanceTo(result.Buffer.Start, result.Buffer.End);
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "audit write failed for {RequestId}; connection aborted")]
    private static partial void AuditFailed(ILogger logger, Exception exception, string requestId);

    [LoggerMessage(Level = LogLevel.Error, Message = "recording the alarms of {RequestId} failed")]
    private static partial void AlarmFailed(ILogger logger, Exception exception, string requestId);

    [LoggerMessage(Level = LogLevel.Error, Message = "the shared quota store failed for {RequestId}")]
    private static partial void QuotaStoreFailed(ILogger logger, Exception exception, string requestId);

    private static bool IsJson(string? contentType) => contentType is null || contentType.Contains("json", StringComparison.OrdinalIgnoreCase);

    private static string Decision(GuardAction action) => action switch
    {
        GuardAction.Allow => "allow",
        GuardAction.Annotate => "annotate",
        GuardAction.Redact => "redact",
        _ => "block",
    };

    private static string Digest(ReadOnlySpan<byte> bytes) => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(bytes));
}
