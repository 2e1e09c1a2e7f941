using System.Collections.Immutable;
using Rampart.Guard.Pipeline;

namespace Rampart.Gateway.Config;

/// <summary>gateway.yaml, parsed and checked (<see cref="GatewayConfigParser"/>).</summary>
public sealed record GatewayConfig
{
    public string Listen { get; init; } = "http://127.0.0.1:8080";

    public LimitsConfig Limits { get; init; } = new();

    public AuthConfig Auth { get; init; } = new();

    public AuditConfig? Audit { get; init; }

    public ImmutableDictionary<string, ClusterConfig> Clusters { get; init; } = ImmutableDictionary<string, ClusterConfig>.Empty;

    public ImmutableArray<RouteConfig> Routes { get; init; } = [];

    /// <summary>The folder relative paths in the file are resolved against.</summary>
    public string BaseDirectory { get; init; } = ".";
}

public sealed record LimitsConfig
{
    public long MaxBodyBytes { get; init; } = 1024 * 1024;

    public int MaxJsonDepth { get; init; } = 32;

    public int MaxRequestHeaders { get; init; } = 64;

    public int MaxRequestHeaderBytes { get; init; } = 16 * 1024;

    /// <summary>Bytes per second a client must at least send its body at (after a 5 s grace), or it is cut off.</summary>
    public double MinRequestBodyBytesPerSecond { get; init; } = 240;

    public double RequestHeadersTimeoutSeconds { get; init; } = 10;
}

public sealed record AuthConfig
{
    /// <summary>The API key file (<c>rampart gateway keys create</c> writes it).</summary>
    public string? ApiKeys { get; init; }

    public JwtConfig? Jwt { get; init; }

    public bool Configured => ApiKeys is not null || Jwt is not null;
}

public sealed record JwtConfig(string Issuer, string Audience, string Jwks, string RolesClaim = "roles");

public sealed record AuditConfig(string Directory, string Bodies = "redacted", string? KeyFile = null);

public sealed record ClusterConfig(ImmutableArray<string> Destinations)
{
    public double TimeoutSeconds { get; init; } = 60;

    public string? HealthPath { get; init; }

    public double HealthIntervalSeconds { get; init; } = 10;

    /// <summary>Retries of connection failures for safe (idempotent) requests only.</summary>
    public int Retries { get; init; }
}

/// <summary>Who may do what on a route: a principal id or a role, the operations (or *), and optionally the models.</summary>
public sealed record AllowRule(string? Principal, string? Role, ImmutableArray<string> Operations, ImmutableArray<string> Models);

public sealed record RateLimitConfig(int RequestsPerMinute = 0, long TokensPerMinute = 0);

public sealed record ChecksConfig
{
    public GuardAction? Secrets { get; init; }

    public GuardAction? Pii { get; init; }

    public ImmutableArray<string> Canaries { get; init; } = [];

    public ImmutableArray<string> DenyTerms { get; init; } = [];

    public ImmutableArray<string> DenyPatterns { get; init; } = [];

    public ImmutableArray<string>? ExfiltrationAllowedHosts { get; init; }

    public long MaxResponseBytes { get; init; }

    public long MaxResponseTokens { get; init; }

    public string? Profile { get; init; }

    public string? Masking { get; init; }

    public int MaskingDecimals { get; init; } = 2;

    public int MaskingTopK { get; init; } = 1;
}

public sealed record RouteConfig
{
    public required string Name { get; init; }

    public required string Path { get; init; }

    public GuardProtocol Protocol { get; init; } = GuardProtocol.Opaque;

    public required string Cluster { get; init; }

    /// <summary>Model name (from the body) to cluster, for routes that send models to different upstreams.</summary>
    public ImmutableDictionary<string, string> Models { get; init; } = ImmutableDictionary<string, string>.Empty;

    /// <summary>The operation RBAC checks (default: from the protocol, e.g. chat, predict).</summary>
    public string? Operation { get; init; }

    public bool Public { get; init; }

    public ImmutableArray<AllowRule> Allow { get; init; } = [];

    public RateLimitConfig RateLimit { get; init; } = new();

    public GuardMode Mode { get; init; } = GuardMode.Enforce;

    public ChecksConfig Checks { get; init; } = new();

    public string EffectiveOperation => Operation ?? Protocol switch
    {
        GuardProtocol.OpenAiChat => "chat",
        GuardProtocol.OpenAiCompletions => "completions",
        GuardProtocol.OpenAiEmbeddings => "embeddings",
        GuardProtocol.Opaque => "call",
        _ => "predict",
    };
}
