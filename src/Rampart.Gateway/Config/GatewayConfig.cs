using System.Collections.Immutable;
using Rampart.Guard.Checks;
using Rampart.Guard.Pipeline;

namespace Rampart.Gateway.Config;

/// <summary>gateway.yaml, parsed and checked (<see cref="GatewayConfigParser"/>).</summary>
public sealed record GatewayConfig
{
    public string Listen { get; init; } = "http://127.0.0.1:8080";

    public LimitsConfig Limits { get; init; } = new();

    /// <summary>TLS termination (and mTLS client certificates); <see cref="Listen"/> is then an https:// URL.</summary>
    public TlsConfig? Tls { get; init; }

    /// <summary>The revocation list of a Rampart server, polled; routes naming a revoked model version are refused.</summary>
    public RevocationConfig? Revocations { get; init; }

    /// <summary>Ship audit entries to a Rampart server in batches (docs/gateway.md, "Shipping events"); changes need a restart.</summary>
    public EventsConfig? Events { get; init; }

    public AuthConfig Auth { get; init; } = new();

    public AuditConfig? Audit { get; init; }

    /// <summary>The provenance ledger the gateway anchors its audit log in and records alarms to.</summary>
    public LedgerConfig? Ledger { get; init; }

    /// <summary>OpenTelemetry traces exported over OTLP.</summary>
    public TelemetryConfig? Telemetry { get; init; }

    /// <summary>Shared state for replicas (rate limits, quotas, detector state); changes need a restart.</summary>
    public RedisConfig? Redis { get; init; }

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

    /// <summary>Client certificates (mTLS, see <see cref="TlsConfig.ClientCertificates"/>) mapped to principals.</summary>
    public ImmutableArray<CertificatePrincipal> Certificates { get; init; } = [];

    public bool Configured => ApiKeys is not null || Jwt is not null || !Certificates.IsEmpty;
}

/// <summary>
/// A client certificate that identifies a principal: <see cref="Subject"/> is the certificate's whole subject
/// distinguished name as .NET prints it (<c>CN=svc, O=Example</c>), <see cref="San"/> one DNS name, URI or e-mail
/// address of its subjectAltName (exactly one of the two is set).
/// </summary>
public sealed record CertificatePrincipal(string? Subject, string? San, string Principal, ImmutableArray<string> Roles);

/// <summary>Whether the TLS handshake asks for a client certificate.</summary>
public enum ClientCertificatePolicy
{
    /// <summary>No client certificate is asked for.</summary>
    None,

    /// <summary>Asked for; a client may connect without one (and authenticate another way), but one it sends must chain to the CA.</summary>
    Allow,

    /// <summary>The handshake fails without a client certificate that chains to the CA.</summary>
    Require,
}

/// <summary>
/// TLS termination: the server certificate and key (PEM files, re-read when they change on disk), and mTLS: client
/// certificates are checked against <see cref="ClientCa"/> (a PEM bundle of the only trusted roots).
/// </summary>
public sealed record TlsConfig(string Certificate, string Key)
{
    public ClientCertificatePolicy ClientCertificates { get; init; } = ClientCertificatePolicy.None;

    public string? ClientCa { get; init; }
}

/// <summary>
/// The revocation list of a Rampart server (docs/server.md, "Revocation contract for gateways"):
/// <c>GET {Server}/api/v1/projects/{Project}/revocations?after=..&amp;wait=..</c> with a <c>read</c> token taken from
/// the environment variable <see cref="TokenEnv"/>. When no poll has succeeded for <see cref="MaxStalenessSeconds"/>,
/// routes that name a model answer 503 (fail closed): a revocation could have been missed.
/// </summary>
public sealed record RevocationConfig(string Server, string Project)
{
    public string TokenEnv { get; init; } = "RAMPART_TOKEN";

    /// <summary>How long a poll waits for news on the server (long poll, 0-60 s).</summary>
    public int WaitSeconds { get; init; } = 30;

    /// <summary>Pause after a failed poll before the next one.</summary>
    public double RetrySeconds { get; init; } = 5;

    public double MaxStalenessSeconds { get; init; } = 300;
}

/// <summary>
/// Where and how the gateway ships its audit entries: <c>POST {Server}/api/v1/projects/{Project}/gateway/events</c> with
/// the token in the environment variable <see cref="TokenEnv"/> (operation <c>report</c>), up to
/// <see cref="BatchSize"/> entries at once, at least every <see cref="FlushSeconds"/>; at most <see cref="QueueSize"/>
/// entries wait, further ones are dropped and counted.
/// </summary>
public sealed record EventsConfig(string Server, string Project)
{
    public string TokenEnv { get; init; } = "RAMPART_TOKEN";

    public int BatchSize { get; init; } = 200;

    public double FlushSeconds { get; init; } = 5;

    public int QueueSize { get; init; } = 10_000;

    /// <summary>The gateway's name on the server's pages (default: the token's id).</summary>
    public string? Name { get; init; }
}

public sealed record JwtConfig(string Issuer, string Audience, string Jwks, string RolesClaim = "roles");

/// <summary>
/// The provenance ledger (<c>rampart ledger init</c>): <see cref="Location"/> is a SQLite file or a PostgreSQL URL,
/// <see cref="Key"/> the PEM signing key the gateway appends with. Every <see cref="AnchorSeconds"/> (and at
/// shutdown) the audit chain's head is anchored as a <c>gateway-audit:&lt;Name&gt;</c> record; with
/// <see cref="Alarms"/>, each alarm becomes an <c>incident</c> record.
/// </summary>
public sealed record LedgerConfig(string Location, string Key)
{
    public string Name { get; init; } = "default";

    public double AnchorSeconds { get; init; } = 300;

    public bool Alarms { get; init; } = true;
}

/// <summary>OpenTelemetry tracing: spans of every request (ASP.NET Core), its upstream call (HttpClient) and the guard's checks, sent over OTLP.</summary>
public sealed record TelemetryConfig(string OtlpEndpoint, string ServiceName = "rampart-gateway");

/// <summary>
/// A Redis shared by gateway replicas: <see cref="Connection"/> is a StackExchange.Redis configuration string
/// (<c>host:port,password=...</c>). <see cref="FailOpen"/> false (the default): while Redis is unreachable, limited
/// routes answer 503; true: they let requests through uncounted.
/// </summary>
public sealed record RedisConfig(string Connection, string Prefix = "rampart:", bool FailOpen = false);

public sealed record AuditConfig(string Directory, string Bodies = "redacted", string? KeyFile = null)
{
    /// <summary>0: fsync before each answer completes; above 0: write before the answer, fsync at most this many ms later (see docs/gateway.md).</summary>
    public int CommitIntervalMs { get; init; }
}

public sealed record ClusterConfig(ImmutableArray<string> Destinations)
{
    public double TimeoutSeconds { get; init; } = 60;

    public string? HealthPath { get; init; }

    public double HealthIntervalSeconds { get; init; } = 10;

    /// <summary>Extra attempts after a transport failure: any request that never reached the upstream (connection refused), idempotent methods after any transport failure; never a POST that may have reached the model, never a stream.</summary>
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

    /// <summary>Prompt injection and jailbreaks in inputs (the shipped rules and classifier): annotate or block.</summary>
    public GuardAction? Injection { get; init; }

    public ExtractionConfig? Extraction { get; init; }

    public DriftConfig? Drift { get; init; }
}

/// <summary>
/// Model-extraction protection of a predict route (PRADA and the query-pattern signals of
/// <c>Rampart.Guard.Detectors.Extraction</c>), per principal; state in Redis when the gateway has <c>redis:</c>.
/// </summary>
public sealed record ExtractionConfig
{
    /// <summary>block (a PRADA alarm refuses the query) or annotate (signals only).</summary>
    public GuardAction Action { get; init; } = GuardAction.Block;

    /// <summary>A training profile (<c>rampart profile build</c>) that gives feature scales and ranges.</summary>
    public string? Profile { get; init; }

    /// <summary>The profile's feature names in the order of the payload's columns.</summary>
    public ImmutableArray<string> Features { get; init; } = [];

    public double? PradaDelta { get; init; }

    public int? MinQueries { get; init; }

    public long? QueryBudget { get; init; }

    public double? NearDuplicateRadius { get; init; }

    public int? BurstCount { get; init; }
}

/// <summary>Input drift of a predict route against a training profile, over windows of <see cref="WindowRows"/> rows.</summary>
public sealed record DriftConfig(string Profile, int WindowRows = 500);

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

    /// <summary>The registered model version this route serves, checked against the revocation list.</summary>
    public ModelVersionRef? ModelVersion { get; init; }

    public string EffectiveOperation => Operation ?? Protocol switch
    {
        GuardProtocol.OpenAiChat => "chat",
        GuardProtocol.OpenAiCompletions => "completions",
        GuardProtocol.OpenAiEmbeddings => "embeddings",
        GuardProtocol.Opaque => "call",
        _ => "predict",
    };
}
