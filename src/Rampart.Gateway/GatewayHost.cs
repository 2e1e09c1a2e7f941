using System.Collections.Immutable;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Prometheus;
using Rampart.Gateway.Auth;
using Rampart.Gateway.Config;
using Rampart.Gateway.Hosting;
using Rampart.Gateway.Limits;
using Rampart.Guard.Audit;
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
}

/// <summary>
/// The gateway: Kestrel (with the configured limits) + YARP, with the guard middleware in YARP's proxy pipeline.
/// <c>/healthz</c> (alive), <c>/readyz</c> (configuration loaded, audit log open) and <c>/metrics</c> are the only
/// unauthenticated paths; any other path that matches no route answers 401 without credentials, 404 with them, so
/// routes cannot be enumerated.
/// </summary>
public sealed class GatewayHost : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly GatewayState _state;
    private readonly InMemoryConfigProvider _proxyConfig;
    private readonly AuditLog? _audit;
    private readonly GatewayHostOptions _options;

    private GatewayHost(WebApplication app, GatewayState state, InMemoryConfigProvider proxyConfig, AuditLog? audit, GatewayHostOptions options)
    {
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
        builder.WebHost.ConfigureKestrel(k =>
        {
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
        builder.Services.AddSingleton(options.Time);
        builder.Services.AddSingleton(new Quotas(options.Time));
        builder.Services.AddSingleton<GatewayMetrics>();

        AuditLog? audit = null;
        if (config.Audit is { } auditConfig)
        {
            var key = auditConfig.KeyFile is null ? null : AuditKey.FromFile(Path.Combine(config.BaseDirectory, auditConfig.KeyFile));
            audit = AuditLog.Open(new AuditOptions(Path.Combine(config.BaseDirectory, auditConfig.Directory)) { Key = key });
        }

        var app = builder.Build();
        var snapshot = await SnapshotAsync(config, app.Services.GetRequiredService<IProxyStateLookup>(), options.Time, cancellationToken).ConfigureAwait(false);
        var state = new GatewayState(snapshot);
        var middleware = new GuardMiddleware(state, app.Services.GetRequiredService<Quotas>(), audit, app.Services.GetRequiredService<GatewayMetrics>(), options.Time, app.Services.GetRequiredService<ILogger<GuardMiddleware>>());

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
            var auth = await state.Current.Authenticator.AuthenticateAsync(context.Request.Headers.Authorization.FirstOrDefault(), context.Request.Headers["X-Api-Key"].FirstOrDefault()).ConfigureAwait(false);
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
        var host = new GatewayHost(app, state, proxyConfig, audit, options);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        host.Address = new Uri(address.Replace("[::]", "127.0.0.1", StringComparison.Ordinal).Replace("0.0.0.0", "127.0.0.1", StringComparison.Ordinal));
        return host;
    }

    /// <summary>Applies a new configuration without dropping connections: routes, clusters, checks, keys and limits of new requests.</summary>
    public async Task ReloadAsync(GatewayConfig config, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(config);
        var snapshot = await SnapshotAsync(config, _app.Services.GetRequiredService<IProxyStateLookup>(), _options.Time, cancellationToken).ConfigureAwait(false);
        var (routes, clusters) = ProxyConfig(config);
        _state.Replace(snapshot);
        _proxyConfig.Update(routes, clusters);
    }

    public Task WaitForShutdownAsync(CancellationToken cancellationToken) => _app.WaitForShutdownAsync(cancellationToken);

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
        if (_audit is not null)
        {
            await _audit.DisposeAsync().ConfigureAwait(false);
        }
    }

    private static async Task<GatewaySnapshot> SnapshotAsync(GatewayConfig config, IProxyStateLookup proxyState, TimeProvider time, CancellationToken cancellationToken)
    {
        Func<ApiKeyStore>? keys = null;
        if (config.Auth.ApiKeys is { } keyFile)
        {
            keys = KeyFileWatcher(Path.Combine(config.BaseDirectory, keyFile));
        }

        var signing = config.Auth.Jwt is { } jwt ? await Authenticator.LoadJwksAsync(jwt.Jwks, config.BaseDirectory, cancellationToken).ConfigureAwait(false) : null;
        var guards = config.Routes.ToImmutableDictionary(r => r.Name, r => RouteGuard.Build(r, config.BaseDirectory), StringComparer.Ordinal);
        return new GatewaySnapshot(config, guards, new Authenticator(keys, config.Auth.Jwt, signing, time), proxyState);
    }

    /// <summary>The key file, re-read when it changes on disk (so <c>keys revoke</c> takes effect without a restart).</summary>
    private static Func<ApiKeyStore> KeyFileWatcher(string path)
    {
        var store = ApiKeyStore.Load(path);
        var stamp = File.Exists(path) ? File.GetLastWriteTimeUtc(path) : DateTime.MinValue;
        var gate = new Lock();
        return () =>
        {
            var now = File.Exists(path) ? File.GetLastWriteTimeUtc(path) : DateTime.MinValue;
            if (now != stamp)
            {
                lock (gate)
                {
                    if (now != stamp)
                    {
                        store = ApiKeyStore.Load(path);
                        stamp = now;
                    }
                }
            }

            return store;
        };
    }

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
