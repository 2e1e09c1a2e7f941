using Microsoft.AspNetCore.Identity.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;

namespace Rampart.Server.Data;

/// <summary>The server's metadata: Identity's tables plus the registry, tokens, audit and incidents. SQLite or PostgreSQL.</summary>
public sealed class ServerDb(DbContextOptions<ServerDb> options) : IdentityDbContext<ServerUser>(options)
{
    public DbSet<Project> Projects => Set<Project>();

    public DbSet<Membership> Memberships => Set<Membership>();

    public DbSet<TrustedKey> TrustedKeys => Set<TrustedKey>();

    public DbSet<RegistryArtifact> Artifacts => Set<RegistryArtifact>();

    public DbSet<ArtifactVersion> Versions => Set<ArtifactVersion>();

    public DbSet<Approval> Approvals => Set<Approval>();

    public DbSet<UploadSession> Uploads => Set<UploadSession>();

    public DbSet<ApiToken> Tokens => Set<ApiToken>();

    public DbSet<AuditEvent> AuditEvents => Set<AuditEvent>();

    public DbSet<Incident> Incidents => Set<Incident>();

    public DbSet<IncidentEvent> IncidentEvents => Set<IncidentEvent>();

    public DbSet<TabletopRun> TabletopRuns => Set<TabletopRun>();

    public DbSet<GatewayEvent> GatewayEvents => Set<GatewayEvent>();

    public DbSet<GatewayDrift> GatewayDrift => Set<GatewayDrift>();

    public DbSet<RedTeamRun> RedTeamRuns => Set<RedTeamRun>();

    public DbSet<VersionFindingCounts> VersionFindingCounts => Set<VersionFindingCounts>();

    protected override void OnModelCreating(ModelBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        base.OnModelCreating(builder);
        builder.Entity<Project>().HasIndex(p => p.Name).IsUnique();
        builder.Entity<Membership>().HasIndex(m => new { m.ProjectId, m.UserId }).IsUnique();
        builder.Entity<RegistryArtifact>().HasIndex(a => new { a.ProjectId, a.Name }).IsUnique();
        builder.Entity<ArtifactVersion>().HasIndex(v => new { v.ArtifactId, v.Label }).IsUnique();
        builder.Entity<ArtifactVersion>().HasIndex(v => v.Digest);
        builder.Entity<ArtifactVersion>().HasIndex(v => v.State);
        builder.Entity<ArtifactVersion>().HasIndex(v => new { v.ProjectId, v.RevokedSequence });
        builder.Entity<Approval>().HasIndex(a => a.VersionId);
        builder.Entity<ApiToken>().HasKey(t => t.Id);
        builder.Entity<ApiToken>().HasIndex(t => t.UserId);
        builder.Entity<UploadSession>().HasKey(u => u.Id);
        builder.Entity<IncidentEvent>().HasIndex(e => e.IncidentId);
        builder.Entity<Incident>().HasIndex(i => i.ProjectId);
        builder.Entity<Incident>().HasIndex(i => i.TabletopRunId);
        builder.Entity<TabletopRun>().HasIndex(r => r.ProjectId);
        builder.Entity<GatewayEvent>().HasIndex(e => new { e.ProjectId, e.Hour, e.Principal });
        builder.Entity<GatewayEvent>().HasIndex(e => new { e.ProjectId, e.Blocked, e.Hour });
        builder.Entity<GatewayEvent>().HasIndex(e => e.Hour);
        builder.Entity<GatewayDrift>().HasIndex(d => new { d.ProjectId, d.Hour });
        builder.Entity<GatewayDrift>().HasIndex(d => d.Hour);
        builder.Entity<RedTeamRun>().HasIndex(r => r.ProjectId);
        builder.Entity<VersionFindingCounts>().HasKey(c => c.VersionId);
        builder.Entity<VersionFindingCounts>().Property(c => c.VersionId).ValueGeneratedNever();
        builder.Entity<VersionFindingCounts>().HasIndex(c => c.ProjectId);
    }
}
