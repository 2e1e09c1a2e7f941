using System.Collections.Immutable;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using System.Security.Authentication;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using KestrelClientCertificateMode = Microsoft.AspNetCore.Server.Kestrel.Https.ClientCertificateMode;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Prometheus;
using Rampart.Gateway.Auth;
using Rampart.Gateway.Config;
using Rampart.Gateway.Hosting;
using Rampart.Gateway.Limits;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using Rampart.Guard.Alarms;
using Rampart.Guard.Audit;
using Rampart.Provenance;
using Rampart.Provenance.Signing;
using ConnectionMultiplexer = StackExchange.Redis.ConnectionMultiplexer;
using ConfigurationOptions = StackExchange.Redis.ConfigurationOptions;
using Yarp.ReverseProxy;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Forwarder;
using YarpCluster = Yarp.ReverseProxy.Configuration.ClusterConfig;
using YarpRoute = Yarp.ReverseProxy.Configuration.RouteConfig;

namespace Rampart.Gateway;

/// <summary>Host settings that are not part of gateway.yaml (tests and the CLI set them).</summary>
public sealed record GatewayHostOptions
{
    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>Overrides <c>listen</c> (e.g. <c>http://127.0.0.1:0</c> for a free port).</summary>
    public string? Listen { get; init; }

    public LogLevel LogLevel { get; init; } = LogLevel.Warning;

    /// <summary>Adds to the OpenTelemetry tracer (e.g. an in-memory exporter); tracing is on when this or telemetry: is set.</summary>
    public Action<TracerProviderBuilder>? ConfigureTracing { get; init; }

    /// <summary>Further receivers of alarms, besides the audit log and the ledger.</summary>
    public IReadOnlyList<IGuardAlarmSink> AlarmSinks { get; init; } = [];
}

/// <summary>
/// The gateway: Kestrel (with the configured limits) + YARP, with the guard middleware in YARP's proxy pipeline.
/// <c>/healthz</c> (alive), <c>/readyz</c> (configuration loaded, audit log open) and <c>/metrics</c> are the only
/// unauthenticated paths; any other path that matches no route answers 401 without credentials, 404 with them, so
/// routes cannot be enumerated.
/// </summary>
public sealed partial class GatewayHost : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly GatewayState _state;
    private readonly InMemoryConfigProvider _proxyConfig;
    private readonly AuditLog? _audit;
    private readonly GatewayHostOptions _options;

    private readonly DetectorState _detectors;
    private readonly ConnectionMultiplexer? _redis;
    private Ledger? _ledger;
    private AuditAnchor? _anchor;
    private TlsMaterial? _tls;
    private RevocationWatcher? _revocations;
    private EventShipper? _events;
    private int _disposed;

    private GatewayHost(WebApplication app, GatewayState state, InMemoryConfigProvider proxyConfig, AuditLog? audit, GatewayHostOptions options, DetectorState detectors, ConnectionMultiplexer? redis)
    {
        _detectors = detectors;
        _redis = redis;
        _app = app;
        _state = state;
        _proxyConfig = proxyConfig;
        _audit = audit;
        _options = options;
    }

    /// <summary>The address Kestrel listens on.</summary>
    public Uri Address { get; private set; } = new("http://127.0.0.1/");

    public static async Task<GatewayHost> StartAsync(GatewayConfig config, GatewayHostOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(config);
        options ??= new GatewayHostOptions();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Logging.AddJsonConsole();
        builder.Logging.SetMinimumLevel(options.LogLevel);
        builder.WebHost.UseUrls(options.Listen ?? config.Listen);
        ILogger? tlsLog = null;
        var tls = config.Tls is { } tlsConfig
            ? TlsMaterial.Open(tlsConfig, config.BaseDirectory, options.Time, e => TlsReloadFailed(tlsLog, e))
            : null;
        if (tls is not null)
        {
            builder.WebHost.UseKestrelHttpsConfiguration(); // the slim builder leaves HTTPS out unless asked
        }

        builder.WebHost.ConfigureKestrel(k =>
        {
            if (tls is not null)
            {
                k.ConfigureHttpsDefaults(https => ConfigureTls(https, tls, config));
            }

            k.AddServerHeader = false;
            k.Limits.MaxRequestBodySize = config.Limits.MaxBodyBytes;
            k.Limits.MaxRequestHeaderCount = config.Limits.MaxRequestHeaders;
            k.Limits.MaxRequestHeadersTotalSize = config.Limits.MaxRequestHeaderBytes;
            k.Limits.RequestHeadersTimeout = TimeSpan.FromSeconds(config.Limits.RequestHeadersTimeoutSeconds);
            k.Limits.MinRequestBodyDataRate = new MinDataRate(config.Limits.MinRequestBodyBytesPerSecond, TimeSpan.FromSeconds(5));
        });

        var (routes, clusters) = ProxyConfig(config);
        var proxyConfig = new InMemoryConfigProvider(routes, clusters);
        builder.Services.AddSingleton<IProxyConfigProvider>(proxyConfig);
        builder.Services.AddReverseProxy();
        if (config.Telemetry is not null || options.ConfigureTracing is not null)
        {
            builder.Services.AddOpenTelemetry()
                .ConfigureResource(r => r.AddService(config.Telemetry?.ServiceName ?? "rampart-gateway"))
                .WithTracing(t =>
                {
                    t.AddSource(GatewayTracing.SourceName).AddAspNetCoreInstrumentation().AddHttpClientInstrumentation();
                    if (config.Telemetry is { } telemetry)
                    {
                        t.AddOtlpExporter(o => o.Endpoint = new Uri(telemetry.OtlpEndpoint));
                    }

                    options.ConfigureTracing?.Invoke(t);
                });
        }

        builder.Services.AddSingleton(options.Time);
        var redis = config.Redis is { } redisConfig ? await ConnectRedisAsync(redisConfig).ConfigureAwait(false) : null;
        var detectors = new DetectorState(redis?.GetDatabase(), config.Redis?.Prefix ?? "rampart:");
        builder.Services.AddSingleton<IQuotas>(redis is null ? new LocalQuotas(options.Time) : new RedisQuotas(redis.GetDatabase(), config.Redis!.Prefix));
        builder.Services.AddSingleton<GatewayMetrics>();

        AuditLog? audit = null;
        if (config.Audit is { } auditConfig)
        {
            var key = auditConfig.KeyFile is null ? null : AuditKey.FromFile(Path.Combine(config.BaseDirectory, auditConfig.KeyFile));
            audit = AuditLog.Open(new AuditOptions(Path.Combine(config.BaseDirectory, auditConfig.Directory)) { Key = key, CommitInterval = TimeSpan.FromMilliseconds(auditConfig.CommitIntervalMs) });
        }

        Ledger? ledger = null;
        if (config.Ledger is { } ledgerConfig)
        {
            ledger = await OpenLedgerAsync(ledgerConfig, config.BaseDirectory, options.Time, cancellationToken).ConfigureAwait(false);
        }

        var app = builder.Build();
        tlsLog = app.Services.GetRequiredService<ILogger<GatewayHost>>();
        var snapshot = await SnapshotAsync(config, app.Services.GetRequiredService<IProxyStateLookup>(), detectors, options.Time, cancellationToken).ConfigureAwait(false);
        var state = new GatewayState(snapshot);
        var logger = app.Services.GetRequiredService<ILogger<GuardMiddleware>>();
        var shipper = config.Events is { } eventsConfig ? new EventShipper(eventsConfig, logger) : null;
        var alarms = new GatewayAlarms(audit, config.Ledger is { Alarms: true } ? ledger : null, shipper is null ? options.AlarmSinks : [.. options.AlarmSinks, shipper], logger, redis?.GetDatabase(), config.Redis?.Prefix ?? "rampart:");
        var anchor = audit is not null && ledger is not null
            ? new AuditAnchor(audit, ledger, config.Ledger!.Name, TimeSpan.FromSeconds(config.Ledger.AnchorSeconds), options.Time, logger)
            : null;
        var revocations = config.Revocations is { } revocationConfig ? new RevocationWatcher(revocationConfig, options.Time, logger) : null;
        var middleware = new GuardMiddleware(state, app.Services.GetRequiredService<IQuotas>(), audit, alarms, app.Services.GetRequiredService<GatewayMetrics>(), options.Time, logger, revocations, shipper);

        app.MapGet("/healthz", () => Results.Json(new { status = "ok" }));
        app.MapGet("/readyz", () => Results.Json(new { status = "ready", routes = state.Current.Config.Routes.Length }));
        app.MapMetrics("/metrics");
        app.MapReverseProxy(proxy =>
        {
            proxy.Use((context, next) => middleware.InvokeAsync(context, () => next()));
            proxy.UseSessionAffinity();
            proxy.UseLoadBalancing();
            proxy.UsePassiveHealthChecks();
        });
        app.MapFallback(async context =>
        {
            // Unknown paths: 401 to strangers (no enumeration), 404 to authenticated callers.
            var auth = await state.Current.Authenticator.AuthenticateAsync(context.Request.Headers.Authorization.FirstOrDefault(), context.Request.Headers["X-Api-Key"].FirstOrDefault(), context.Connection.ClientCertificate).ConfigureAwait(false);
            if (auth.Principal is null)
            {
                context.Response.Headers.WWWAuthenticate = "Bearer";
                await GatewayErrors.WriteAsync(context, context.Response.Body, 401, "unauthenticated", auth.Refusal ?? "credentials required").ConfigureAwait(false);
            }
            else
            {
                await GatewayErrors.WriteAsync(context, context.Response.Body, 404, "not_found", "no such route").ConfigureAwait(false);
            }
        });

        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        var host = new GatewayHost(app, state, proxyConfig, audit, options, detectors, redis) { _ledger = ledger, _anchor = anchor, _tls = tls, _revocations = revocations, _events = shipper };
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        host.Address = new Uri(address.Replace("[::]", "127.0.0.1", StringComparison.Ordinal).Replace("0.0.0.0", "127.0.0.1", StringComparison.Ordinal));
        return host;
    }

    /// <summary>Applies a new configuration without dropping connections: routes, clusters, checks, keys and limits of new requests.</summary>
    public async Task ReloadAsync(GatewayConfig config, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(config);
        var started = _state.Current.Config;
        if (config.Tls != started.Tls || config.Revocations != started.Revocations)
        {
            // The certificate files themselves are re-read on change; the sections need a restart.
            throw new InvalidDataException("tls: and revocations: changes take effect on restart; the running configuration is kept");
        }

        var snapshot = await SnapshotAsync(config, _app.Services.GetRequiredService<IProxyStateLookup>(), _detectors, _options.Time, cancellationToken).ConfigureAwait(false);
        var (routes, clusters) = ProxyConfig(config);
        _state.Replace(snapshot);
        _proxyConfig.Update(routes, clusters);
    }

    public Task WaitForShutdownAsync(CancellationToken cancellationToken) => _app.WaitForShutdownAsync(cancellationToken);

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
        if (_anchor is not null)
        {
            await _anchor.DisposeAsync().ConfigureAwait(false); // anchors the final head
        }

        if (_ledger is not null)
        {
            await _ledger.DisposeAsync().ConfigureAwait(false);
        }

        if (_audit is not null)
        {
            await _audit.DisposeAsync().ConfigureAwait(false);
        }

        if (_redis is not null)
        {
            await _redis.DisposeAsync().ConfigureAwait(false);
        }

        _tls?.Dispose();
        if (_events is not null)
        {
            await _events.DisposeAsync().ConfigureAwait(false); // sends what is queued (bounded wait)
        }

        if (_revocations is not null)
        {
            await _revocations.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>
    /// TLS 1.2/1.3 with the (hot-reloaded) certificate of <paramref name="tls"/>; with client certificates, the
    /// handshake itself refuses a certificate that does not chain to tls.clientCa or is expired (and, with
    /// <c>require</c>, a connection without one), so nothing of such a client reaches the request pipeline.
    /// </summary>
    private static void ConfigureTls(HttpsConnectionAdapterOptions https, TlsMaterial tls, GatewayConfig config)
    {
        https.SslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13;
        https.HandshakeTimeout = TimeSpan.FromSeconds(config.Limits.RequestHeadersTimeoutSeconds);
        https.ServerCertificateSelector = (_, _) => tls.ServerCertificate;
        https.ClientCertificateMode = config.Tls!.ClientCertificates switch
        {
            ClientCertificatePolicy.Require => KestrelClientCertificateMode.RequireCertificate,
            ClientCertificatePolicy.Allow => KestrelClientCertificateMode.AllowCertificate,
            _ => KestrelClientCertificateMode.NoCertificate,
        };
        https.ClientCertificateValidation = (certificate, _, _) => tls.IsTrustedClient(certificate);
    }

    private static void TlsReloadFailed(ILogger? logger, Exception e)
    {
        if (logger is not null)
        {
            TlsReloadFailedLog(logger, e);
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "the changed TLS certificate files could not be loaded; the previous certificate stays in use")]
    private static partial void TlsReloadFailedLog(ILogger logger, Exception exception);

    /// <summary>Anchors the audit chain's head in the ledger now (it also happens every ledger.anchorSeconds and at shutdown); returns the anchored sequence, or null when nothing moved.</summary>
    public Task<long?> AnchorAuditAsync(CancellationToken cancellationToken = default) =>
        _anchor?.AnchorAsync(cancellationToken) ?? Task.FromResult<long?>(null);

    private static async Task<Ledger> OpenLedgerAsync(LedgerConfig config, string baseDirectory, TimeProvider time, CancellationToken cancellationToken)
    {
        var location = Ledger.IsDatabaseUrl(config.Location) ? config.Location : Path.Combine(baseDirectory, config.Location);
        var keyPath = Path.Combine(baseDirectory, config.Key);
        if (!File.Exists(keyPath))
        {
            throw new InvalidDataException($"ledger.key: {keyPath}: no such signing key");
        }

        var signer = LedgerSigner.FromPemFile(keyPath, "rampart-gateway");
        try
        {
            return await Ledger.OpenAsync(location, signer, time, cancellationToken).ConfigureAwait(false);
        }
        catch (ProvenanceException e)
        {
            signer.Dispose();
            throw new InvalidDataException($"ledger.location: {location}: {e.Message} (create it with `rampart ledger init`)", e);
        }
    }

    /// <summary>
    /// Connects without failing the start when Redis is down (requests then fail closed or open, as configured, and
    /// the connection keeps retrying in the background); short timeouts so a dead Redis costs a request at most ~1 s.
    /// </summary>
    private static async Task<ConnectionMultiplexer> ConnectRedisAsync(RedisConfig config)
    {
        ConfigurationOptions options;
        try
        {
            options = ConfigurationOptions.Parse(config.Connection);
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"redis.connection '{config.Connection}' is not a Redis connection string: {e.Message}", e);
        }

        options.AbortOnConnectFail = false;
        options.ConnectTimeout = Math.Min(options.ConnectTimeout, 2000);
        options.SyncTimeout = Math.Min(options.SyncTimeout, 1000);
        options.AsyncTimeout = Math.Min(options.AsyncTimeout, 1000);
        return await ConnectionMultiplexer.ConnectAsync(options).ConfigureAwait(false);
    }

    private static async Task<GatewaySnapshot> SnapshotAsync(GatewayConfig config, IProxyStateLookup proxyState, DetectorState detectors, TimeProvider time, CancellationToken cancellationToken)
    {
        Func<ApiKeyStore>? keys = null;
        if (config.Auth.ApiKeys is { } keyFile)
        {
            keys = KeyFileWatcher(Path.Combine(config.BaseDirectory, keyFile), time);
        }

        var signing = config.Auth.Jwt is { } jwt ? await Authenticator.LoadJwksAsync(jwt.Jwks, config.BaseDirectory, cancellationToken).ConfigureAwait(false) : null;
        var guards = config.Routes.ToImmutableDictionary(r => r.Name, r => RouteGuard.Build(r, config.BaseDirectory, detectors), StringComparer.Ordinal);
        return new GatewaySnapshot(config, guards, new Authenticator(keys, config.Auth.Jwt, signing, time, config.Auth.Certificates), proxyState);
    }

    /// <summary>
    /// The key file, re-read when it changes on disk (so <c>keys revoke</c> takes effect without a restart). Its time
    /// stamp is looked at most every <see cref="KeyFilePoll"/>, not on every request (a stat per request showed in
    /// the profile); a revocation therefore takes effect within that time.
    /// </summary>
    private static Func<ApiKeyStore> KeyFileWatcher(string path, TimeProvider time)
    {
        var store = ApiKeyStore.Load(path);
        var stamp = File.Exists(path) ? File.GetLastWriteTimeUtc(path) : DateTime.MinValue;
        var looked = time.GetTimestamp();
        var gate = new Lock();
        return () =>
        {
            if (time.GetElapsedTime(Volatile.Read(ref looked)) < KeyFilePoll)
            {
                return Volatile.Read(ref store);
            }

            lock (gate)
            {
                if (time.GetElapsedTime(looked) >= KeyFilePoll)
                {
                    var now = File.Exists(path) ? File.GetLastWriteTimeUtc(path) : DateTime.MinValue;
                    if (now != stamp)
                    {
                        Volatile.Write(ref store, ApiKeyStore.Load(path));
                        stamp = now;
                    }

                    Volatile.Write(ref looked, time.GetTimestamp());
                }

                return store;
            }
        };
    }

    /// <summary>How often the key file's time stamp is checked.</summary>
    internal static readonly TimeSpan KeyFilePoll = TimeSpan.FromMilliseconds(500);

    private static (IReadOnlyList<YarpRoute> Routes, IReadOnlyList<YarpCluster> Clusters) ProxyConfig(GatewayConfig config)
    {
        var routes = config.Routes.Select(r => new YarpRoute
        {
            RouteId = r.Name,
            ClusterId = r.Cluster,
            Match = new RouteMatch { Path = r.Path },
            Transforms =
            [
                new Dictionary<string, string> { ["RequestHeaderRemove"] = "Authorization" },
                new Dictionary<string, string> { ["RequestHeaderRemove"] = "X-Api-Key" },
            ],
        }).ToList();
        var clusters = config.Clusters.Select(c => new YarpCluster
        {
            ClusterId = c.Key,
            Destinations = c.Value.Destinations.Select((d, i) => (d, i)).ToDictionary(x => $"d{x.i}", x => new DestinationConfig { Address = x.d }),
            HttpRequest = new ForwarderRequestConfig { ActivityTimeout = TimeSpan.FromSeconds(c.Value.TimeoutSeconds) },
            HealthCheck = new HealthCheckConfig
            {
                // With every destination unhealthy, answer 503 rather than fall back to sending to all of them ("panic").
                AvailableDestinationsPolicy = "HealthyAndUnknown",
                Active = c.Value.HealthPath is null ? null : new ActiveHealthCheckConfig
                {
                    Enabled = true,
                    Interval = TimeSpan.FromSeconds(c.Value.HealthIntervalSeconds),
                    Timeout = TimeSpan.FromSeconds(Math.Min(5, c.Value.HealthIntervalSeconds)),
                    Path = c.Value.HealthPath,
                    Policy = "ConsecutiveFailures",
                },
                // Circuit breaking: a destination with too many transport failures is taken out for a while.
                Passive = new PassiveHealthCheckConfig { Enabled = true, Policy = "TransportFailureRate", ReactivationPeriod = TimeSpan.FromSeconds(30) },
            },
        }).ToList();
        return (routes, clusters);
    }
}
