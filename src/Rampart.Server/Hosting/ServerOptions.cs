using Microsoft.Extensions.Logging;
using Rampart.Server.Identity;

namespace Rampart.Server.Hosting;

/// <summary>How `rampart server` runs: where it keeps its data, which database, limits.</summary>
public sealed record ServerOptions
{
    /// <summary>Blobs, uploads, the data-protection key ring, the ledger key and (by default) the SQLite databases.</summary>
    public required string DataDirectory { get; init; }

    /// <summary>null: SQLite in the data directory. postgres://... or Npgsql "Host=...;" text: PostgreSQL (metadata and ledger).</summary>
    public string? Database { get; init; }

    public string Listen { get; init; } = "http://127.0.0.1:8480";

    /// <summary>Largest version (bytes) an upload may reach; a chunk that would pass it is refused with 413.</summary>
    public long MaxUploadBytes { get; init; } = 16L << 30;

    /// <summary>Largest JSON body, signature or requirements file.</summary>
    public long MaxSmallBodyBytes { get; init; } = 1 << 20;

    /// <summary>How long an unfinished upload can be resumed.</summary>
    public TimeSpan UploadLifetime { get; init; } = TimeSpan.FromHours(24);

    /// <summary>Failed logins (password or TOTP) before the account locks, and for how long.</summary>
    public int MaxFailedLogins { get; init; } = 5;

    public TimeSpan LockoutDuration { get; init; } = TimeSpan.FromMinutes(15);

    /// <summary>How long gateway events are kept (docs/server.md, "Gateway activity"); older ones are deleted.</summary>
    public TimeSpan GatewayEventRetention { get; init; } = TimeSpan.FromDays(30);

    public TimeSpan SessionLifetime { get; init; } = TimeSpan.FromHours(8);

    /// <summary>The first administrator, created when the database has no user.</summary>
    public string AdminUserName { get; init; } = "admin";

    /// <summary>Password of the first administrator; null generates one into data/initial-admin-password.</summary>
    public string? AdminPassword { get; init; }

    /// <summary>OSV database for the audit of attached requirement files; null skips advisories (the verdict says so).</summary>
    public string? AdvisoryDatabase { get; init; }

    /// <summary>Optional OpenID Connect single sign-on (docs/server.md, "Single sign-on"); null: local accounts only.</summary>
    public OidcOptions? Oidc { get; init; }

    public TimeProvider Time { get; init; } = TimeProvider.System;

    public LogLevel LogLevel { get; init; } = LogLevel.Warning;
}
