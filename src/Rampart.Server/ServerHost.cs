using System.Security.Cryptography;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Rampart.Provenance.Storage;
using Rampart.Server.Api;
using Rampart.Server.Data;
using Rampart.Server.Hosting;
using Rampart.Server.Identity;
using Rampart.Server.Incidents;
using Rampart.Server.Registry;

namespace Rampart.Server;

/// <summary>
/// `rampart server`: the control-plane host. Kestrel + minimal APIs under /api/v1 (docs/server.md); Identity on EF
/// Core (SQLite by default, PostgreSQL when configured); blobs on the filesystem; the provenance ledger beside the
/// metadata. Only /healthz and /api/v1/auth/login answer strangers.
/// </summary>
public sealed class ServerHost : IAsyncDisposable
{
    private const string PolicyScheme = "rampart";
    private readonly WebApplication _app;
    private readonly ServerLedger _ledger;

    private ServerHost(WebApplication app, ServerLedger ledger, Uri address)
    {
        _app = app;
        _ledger = ledger;
        Address = address;
    }

    public Uri Address { get; }

    /// <summary>The application's services (tests read the database and the ledger through them).</summary>
    public IServiceProvider Services => _app.Services;

    /// <summary>The endpoints the server answers, for the authorisation matrix test and the OpenAPI document.</summary>
    public IEnumerable<Endpoint> Endpoints => _app.Services.GetRequiredService<IEnumerable<EndpointDataSource>>().SelectMany(s => s.Endpoints);

    /// <summary>The public key the server signs ledger records with.</summary>
    public string LedgerPublicKeyPem => _ledger.PublicKeyPem;

    /// <summary>Where the ledger lives ("sqlite path" or the PostgreSQL URL), for `rampart ledger verify`.</summary>
    public static string LedgerLocation(ServerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.Database ?? Path.Combine(Path.GetFullPath(options.DataDirectory), "ledger.db");
    }

    public static async Task<ServerHost> StartAsync(ServerOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var data = Path.GetFullPath(options.DataDirectory);
        Directory.CreateDirectory(data);
        options = options with { DataDirectory = data };
        var work = Path.Combine(data, "work");
        if (Directory.Exists(work))
        {
            Directory.Delete(work, recursive: true);
        }

        Directory.CreateDirectory(work);
        var blobs = new BlobStore(data);
        foreach (var leftover in Directory.EnumerateFiles(blobs.UploadDirectory, "*.tmp"))
        {
            File.Delete(leftover);
        }

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Logging.AddJsonConsole();
        builder.Logging.SetMinimumLevel(options.LogLevel);

        // The key ring is kept unencrypted in DATA/keys (mode 0700 below); the warning saying so on every first start is noise.
        builder.Logging.AddFilter("Microsoft.AspNetCore.DataProtection", LogLevel.Error);
        builder.WebHost.UseUrls(options.Listen);
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Limits.MaxRequestBodySize = options.MaxSmallBodyBytes;
        });

        var services = builder.Services;
        services.AddSingleton(options);
        services.AddSingleton(options.Time);
        services.AddSingleton(blobs);
        services.AddSingleton(new ArtifactGate(blobs, work, options.Time, options.AdvisoryDatabase));
        services.AddSingleton<GateInbox>();
        services.AddSingleton<UploadLocks>();
        services.AddSingleton<RevocationSignal>();
        services.AddSingleton(new AuditTrail(options.Time));
        services.AddScoped<RegistryService>();
        services.AddScoped<LedgerReconciler>();
        services.AddSingleton<Activity.ActivityRetention>();
        services.AddHostedService<ScanWorker>();
        var postgres = options.Database is not null && Provenance.Ledger.IsDatabaseUrl(options.Database);
        if (options.Database is not null && !postgres)
        {
            throw new ArgumentException("--db must be a PostgreSQL URL (postgres://...) or Npgsql connection text; SQLite lives in the data directory", nameof(options));
        }

        void UseDatabase(DbContextOptionsBuilder o)
        {
            if (postgres)
            {
                o.UseNpgsql(PostgresUrl.ToConnectionString(options.Database!));
            }
            else
            {
                o.UseSqlite($"Data Source={Path.Combine(data, "rampart.db")};Default Timeout=30");
            }
        }

        // The schema first (EnsureCreated creates nothing in a PostgreSQL database that already has tables, such as the
        // ledger's), then the ledger, then the services that use both.
        var schema = new DbContextOptionsBuilder<ServerDb>();
        UseDatabase(schema);
        await InitializeDatabaseAsync(schema.Options, postgres, cancellationToken).ConfigureAwait(false);
        var ledger = await ServerLedger.OpenAsync(LedgerLocation(options), Path.Combine(data, "ledger-key.pem"), options.Time, cancellationToken).ConfigureAwait(false);
        services.AddSingleton(ledger);
        services.AddDbContext<ServerDb>(UseDatabase);
        var keyRing = Directory.CreateDirectory(Path.Combine(data, "keys"));
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(keyRing.FullName, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        services.AddDataProtection().PersistKeysToFileSystem(new DirectoryInfo(Path.Combine(data, "keys"))).SetApplicationName("rampart-server");
        services.AddIdentityCore<ServerUser>(o =>
        {
            o.Lockout.AllowedForNewUsers = true;
            o.Lockout.MaxFailedAccessAttempts = options.MaxFailedLogins;
            o.Lockout.DefaultLockoutTimeSpan = options.LockoutDuration;
            o.Password.RequiredLength = 12;
            o.Password.RequireNonAlphanumeric = false;
            o.Password.RequireUppercase = false;
            o.Password.RequireLowercase = false;
            o.Password.RequireDigit = false;
            o.User.RequireUniqueEmail = false;
        }).AddEntityFrameworkStores<ServerDb>();
        var authentication = services.AddAuthentication(PolicyScheme)
            .AddPolicyScheme(PolicyScheme, null, o => o.ForwardDefaultSelector = context =>
                context.Request.Headers.Authorization.ToString().StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? TokenAuthenticationHandler.SchemeName : AuthEndpoints.CookieScheme)
            .AddCookie(AuthEndpoints.CookieScheme, o =>
            {
                // __Host- cookies are Secure, host-only and path "/": a sibling domain cannot plant or read them.
                o.Cookie.Name = "__Host-rampart";
                o.Cookie.HttpOnly = true;
                o.Cookie.SecurePolicy = CookieSecurePolicy.Always;
                o.Cookie.SameSite = SameSiteMode.Strict;
                o.Cookie.Path = "/";
                o.ExpireTimeSpan = options.SessionLifetime;
                o.SlidingExpiration = false;
                o.Events.OnRedirectToLogin = c => Deny(c.HttpContext, 401);
                o.Events.OnRedirectToAccessDenied = c => Deny(c.HttpContext, 403);
                o.Events.OnValidatePrincipal = ValidateSessionAsync;
            })
            .AddScheme<AuthenticationSchemeOptions, TokenAuthenticationHandler>(TokenAuthenticationHandler.SchemeName, null);
        if (options.Oidc is { } sso)
        {
            AuthEndpoints.AddSingleSignOn(authentication, sso);
        }

        services.AddOpenApi("v1");
        Dashboard.DashboardSetup.AddDashboard(services);

        // The strict encoder escapes < > & ' " and non-ASCII: names, titles and notes echoed in JSON can never become markup.
        services.ConfigureHttpJsonOptions(o => o.SerializerOptions.Encoder = System.Text.Encodings.Web.JavaScriptEncoder.Default);

        var app = builder.Build();
        await BootstrapAdminAsync(app.Services, options, cancellationToken).ConfigureAwait(false);
        await LedgerReconciler.RunAtStartAsync(app.Services, app.Logger, cancellationToken).ConfigureAwait(false);

        app.Use((context, next) => SecurityHeaders.InvokeAsync(context, () => next(context)));
        app.Use(ErrorsAsync);
        app.UseRouting();
        app.UseAuthentication();
        app.Use((context, next) => AccessMiddleware.InvokeAsync(context, () => next(context)));

        app.MapGet("/healthz", () => Results.Json(new { status = "ok" })).WithMetadata(Requires.Anonymous);
        var api = app.MapGroup("/api/v1");
        AuthEndpoints.Map(api);
        AdminEndpoints.Map(api);
        RegistryEndpoints.Map(api);
        IncidentEndpoints.Map(api);
        TabletopEndpoints.Map(api);
        Activity.GatewayEventEndpoints.Map(api);
        Activity.RedTeamRunEndpoints.Map(api);
        app.MapOpenApi("/api/v1/openapi.json").WithMetadata(Requires.User);
        Dashboard.DashboardSetup.MapDashboard(app);

        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new ServerHost(app, ledger, new Uri(address.Replace("[::]", "127.0.0.1", StringComparison.Ordinal).Replace("0.0.0.0", "127.0.0.1", StringComparison.Ordinal)));
    }

    public Task WaitForShutdownAsync(CancellationToken cancellationToken) => _app.WaitForShutdownAsync(cancellationToken);

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
        await _ledger.DisposeAsync().ConfigureAwait(false);
    }

    private static Task Deny(HttpContext context, int status) => ApiErrors.WriteAsync(context, status, status == 401 ? "unauthenticated" : "forbidden", status == 401 ? "sign in first" : "not allowed");

    /// <summary>A session dies with its account's security stamp (logout, MFA enrolment), a lockout, or the account.</summary>
    private static async Task ValidateSessionAsync(CookieValidatePrincipalContext context)
    {
        var db = context.HttpContext.RequestServices.GetRequiredService<ServerDb>();
        var time = context.HttpContext.RequestServices.GetRequiredService<TimeProvider>();
        var id = context.Principal?.FindFirst(ServerClaims.UserId)?.Value;
        var stamp = context.Principal?.FindFirst(ServerClaims.Stamp)?.Value;
        var user = id is null ? null : await db.Users.AsNoTracking().FirstOrDefaultAsync(u => u.Id == id, context.HttpContext.RequestAborted).ConfigureAwait(false);
        if (user is null || user.SecurityStamp != stamp || user.LockoutEnd is { } until && until > time.GetUtcNow())
        {
            context.RejectPrincipal();
        }
    }

    private static async Task ErrorsAsync(HttpContext context, RequestDelegate next)
    {
        try
        {
            await next(context).ConfigureAwait(false);
        }
        catch (ApiException e)
        {
            await ApiErrors.WriteAsync(context, e.Status, e.Code, e.Message).ConfigureAwait(false);
        }
        catch (BadHttpRequestException e)
        {
            await ApiErrors.WriteAsync(context, e.StatusCode, e.StatusCode == 413 ? "too_large" : "bad_request", e.StatusCode == 413 ? "the request body is too large" : "the request could not be read").ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away.
        }
    }

    private static async Task InitializeDatabaseAsync(DbContextOptions<ServerDb> options, bool postgres, CancellationToken cancellationToken)
    {
        await using var db = new ServerDb(options);
        await db.Database.EnsureCreatedAsync(cancellationToken).ConfigureAwait(false);
        if (!postgres)
        {
            // WAL: readers do not wait for the writer; the 30 s busy timeout (Default Timeout) queues writers.
            await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;", cancellationToken).ConfigureAwait(false);
        }
    }

    private static async Task BootstrapAdminAsync(IServiceProvider services, ServerOptions options, CancellationToken cancellationToken)
    {
        using var scope = services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<ServerDb>();
        if (await db.Users.AnyAsync(cancellationToken).ConfigureAwait(false))
        {
            return;
        }

        var password = options.AdminPassword;
        if (password is null)
        {
            password = Tokens.Base64Url(RandomNumberGenerator.GetBytes(18));
            var file = Path.Combine(options.DataDirectory, "initial-admin-password");
            await File.WriteAllTextAsync(file, password + "\n", cancellationToken).ConfigureAwait(false);
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }
        }

        var users = scope.ServiceProvider.GetRequiredService<UserManager<ServerUser>>();
        var created = await users.CreateAsync(new ServerUser { UserName = options.AdminUserName, IsServerAdmin = true, CreatedAt = options.Time.GetUtcNow(), LockoutEnabled = true }, password).ConfigureAwait(false);
        if (!created.Succeeded)
        {
            throw new ArgumentException("cannot create the first administrator: " + string.Join(" ", created.Errors.Select(e => e.Description)), nameof(options));
        }
    }
}
