using System.Collections.Immutable;
using System.Globalization;
using Rampart.Core.IO;
using Rampart.Guard.Checks;
using Rampart.Guard.Pipeline;
using YamlDotNet.RepresentationModel;

namespace Rampart.Gateway.Config;

/// <summary>
/// Reads gateway.yaml. Strict: unknown keys, unknown protocols, routes naming missing clusters, and any route that
/// would be reachable without authentication without saying <c>public: true</c> are errors
/// (<see cref="InvalidDataException"/> naming the file and the problem), so a typo never opens a model to the world.
/// </summary>
public static class GatewayConfigParser
{
    public static GatewayConfig Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path))
        {
            throw new InvalidDataException($"{path}: no such file");
        }

        return Parse(BoundedFile.ReadAllText(path), path, Path.GetDirectoryName(Path.GetFullPath(path))!);
    }

    public static GatewayConfig Parse(string text, string source, string baseDirectory)
    {
        var yaml = new YamlStream();
        try
        {
            yaml.Load(new StringReader(text));
        }
        catch (YamlDotNet.Core.YamlException e)
        {
            throw new InvalidDataException($"{source}: not valid YAML ({e.Start.Line}:{e.Start.Column}): {e.Message}", e);
        }

        if (yaml.Documents.Count != 1 || yaml.Documents[0].RootNode is not YamlMappingNode root)
        {
            throw new InvalidDataException($"{source}: the configuration is one YAML mapping");
        }

        var r = new Reader(source);
        r.Keys(root, "root", "listen", "tls", "revocations", "events", "limits", "auth", "audit", "ledger", "redis", "telemetry", "clusters", "routes");
        var limits = r.Map(root, "limits") is { } l ? ParseLimits(r, l) : new LimitsConfig();
        var auth = r.Map(root, "auth") is { } a ? ParseAuth(r, a) : new AuthConfig();
        var tls = r.Map(root, "tls") is { } t ? ParseTls(r, t) : null;
        var revocations = r.Map(root, "revocations") is { } rv ? ParseRevocations(r, rv) : null;
        var events = r.Map(root, "events") is { } ev ? ParseEvents(r, ev) : null;
        var audit = r.Map(root, "audit") is { } au ? ParseAudit(r, au) : null;
        var redis = r.Map(root, "redis") is { } re ? ParseRedis(r, re) : null;
        var ledger = r.Map(root, "ledger") is { } le ? ParseLedger(r, le) : null;
        TelemetryConfig? telemetry = null;
        if (r.Map(root, "telemetry") is { } te)
        {
            r.Keys(te, "telemetry", "otlpEndpoint", "serviceName");
            var endpoint = r.Str(te, "otlpEndpoint") ?? throw r.Error("telemetry.otlpEndpoint (e.g. http://collector:4317) is required");
            telemetry = Uri.TryCreate(endpoint, UriKind.Absolute, out var u) && u.Scheme is "http" or "https"
                ? new TelemetryConfig(endpoint, r.Str(te, "serviceName") ?? "rampart-gateway")
                : throw r.Error($"telemetry.otlpEndpoint is an http(s) URL, not '{endpoint}'");
        }
        if (ledger is not null && audit is null)
        {
            throw r.Error("ledger: anchors the audit log, so it needs audit: too");
        }
        var clusters = (r.Map(root, "clusters") ?? throw r.Error("'clusters' is required")).Children
            .ToImmutableDictionary(c => r.Text(c.Key, "cluster name"), c => ParseCluster(r, c.Value as YamlMappingNode ?? throw r.Error($"cluster {c.Key} is not a mapping"), c.Key.ToString()), StringComparer.Ordinal);
        var routes = (r.Seq(root, "routes") ?? throw r.Error("'routes' is required")).Children
            .Select(n => ParseRoute(r, n as YamlMappingNode ?? throw r.Error("a route is a mapping"))).ToImmutableArray();

        var config = new GatewayConfig
        {
            Listen = r.Str(root, "listen") ?? "http://127.0.0.1:8080",
            Limits = limits,
            Tls = tls,
            Revocations = revocations,
            Events = events,
            Auth = auth,
            Audit = audit,
            Redis = redis,
            Ledger = ledger,
            Telemetry = telemetry,
            Clusters = clusters,
            Routes = routes,
            BaseDirectory = baseDirectory,
        };
        Validate(config, r);
        return config;
    }

    private static void Validate(GatewayConfig config, Reader r)
    {
        if (config.Routes.IsEmpty)
        {
            throw r.Error("no routes: a gateway with no routes serves nothing");
        }

        var https = config.Listen.StartsWith("https://", StringComparison.OrdinalIgnoreCase);
        if (https != (config.Tls is not null))
        {
            throw r.Error(https ? $"listen is {config.Listen} but there is no tls: section (certificate and key)" : $"tls: is configured, so listen is an https:// URL, not {config.Listen}");
        }

        if (!config.Auth.Certificates.IsEmpty && config.Tls is not { ClientCertificates: not ClientCertificatePolicy.None })
        {
            throw r.Error("auth.certificates maps client certificates to principals, but tls.clientCertificates is not allow or require, so no client certificate would ever be asked for");
        }

        if (config.Revocations is null && config.Routes.FirstOrDefault(x => x.ModelVersion is not null) is { } versioned)
        {
            throw r.Error($"route '{versioned.Name}' names a modelVersion but there is no revocations: section to check it against");
        }

        foreach (var group in config.Routes.GroupBy(x => x.Name, StringComparer.Ordinal).Where(g => g.Count() > 1))
        {
            throw r.Error($"route name '{group.Key}' is used twice");
        }

        foreach (var route in config.Routes)
        {
            foreach (var cluster in route.Models.Values.Append(route.Cluster))
            {
                if (!config.Clusters.ContainsKey(cluster))
                {
                    throw r.Error($"route '{route.Name}' names cluster '{cluster}', which is not defined");
                }
            }

            if (route.Public)
            {
                if (!route.Allow.IsEmpty)
                {
                    throw r.Error($"route '{route.Name}' is public and has allow rules: a public route is open to everyone, so its allow rules would mean nothing; remove one of the two");
                }

                continue;
            }

            if (!config.Auth.Configured)
            {
                throw r.Error($"route '{route.Name}' needs authentication but auth configures neither apiKeys nor jwt nor certificates; configure one, or mark the route 'public: true' if it really is meant to be open");
            }

            if (route.Allow.IsEmpty)
            {
                throw r.Error($"route '{route.Name}' has no allow rules: nobody could call it (deny by default); add allow entries or remove the route");
            }
        }
    }

    private static LimitsConfig ParseLimits(Reader r, YamlMappingNode n)
    {
        r.Keys(n, "limits", "maxBodyBytes", "maxJsonDepth", "maxRequestHeaders", "maxRequestHeaderBytes", "minRequestBodyBytesPerSecond", "requestHeadersTimeoutSeconds");
        var d = new LimitsConfig();
        return new LimitsConfig
        {
            MaxBodyBytes = r.Long(n, "maxBodyBytes") ?? d.MaxBodyBytes,
            MaxJsonDepth = (int)(r.Long(n, "maxJsonDepth") ?? d.MaxJsonDepth),
            MaxRequestHeaders = (int)(r.Long(n, "maxRequestHeaders") ?? d.MaxRequestHeaders),
            MaxRequestHeaderBytes = (int)(r.Long(n, "maxRequestHeaderBytes") ?? d.MaxRequestHeaderBytes),
            MinRequestBodyBytesPerSecond = r.Double(n, "minRequestBodyBytesPerSecond") ?? d.MinRequestBodyBytesPerSecond,
            RequestHeadersTimeoutSeconds = r.Double(n, "requestHeadersTimeoutSeconds") ?? d.RequestHeadersTimeoutSeconds,
        };
    }

    private static TlsConfig ParseTls(Reader r, YamlMappingNode n)
    {
        r.Keys(n, "tls", "certificate", "key", "clientCertificates", "clientCa");
        var mode = (r.Str(n, "clientCertificates") ?? "none") switch
        {
            "none" => ClientCertificatePolicy.None,
            "allow" => ClientCertificatePolicy.Allow,
            "require" => ClientCertificatePolicy.Require,
            var other => throw r.Error($"tls.clientCertificates is none, allow or require, not '{other}'"),
        };
        var ca = r.Str(n, "clientCa");
        if ((mode == ClientCertificatePolicy.None) != (ca is null))
        {
            throw r.Error(ca is null
                ? "tls.clientCertificates asks for client certificates, so tls.clientCa (a PEM bundle of the CAs they must chain to) is required"
                : "tls.clientCa is set but tls.clientCertificates is none; set it to allow or require");
        }

        return new TlsConfig(r.Str(n, "certificate") ?? throw r.Error("tls.certificate (a PEM certificate file) is required"), r.Str(n, "key") ?? throw r.Error("tls.key (a PEM private key file) is required"))
        {
            ClientCertificates = mode,
            ClientCa = ca,
        };
    }

    private static RevocationConfig ParseRevocations(Reader r, YamlMappingNode n)
    {
        r.Keys(n, "revocations", "server", "project", "tokenEnv", "waitSeconds", "retrySeconds", "maxStalenessSeconds");
        var server = r.Str(n, "server") ?? throw r.Error("revocations.server (the Rampart server's URL) is required");
        if (!Uri.TryCreate(server, UriKind.Absolute, out var u) || u.Scheme is not ("http" or "https"))
        {
            throw r.Error($"revocations.server is an http(s) URL, not '{server}'");
        }

        var wait = r.Long(n, "waitSeconds") ?? 30;
        var staleness = r.Double(n, "maxStalenessSeconds") ?? 300;
        if (wait > 60)
        {
            throw r.Error($"revocations.waitSeconds is between 0 and 60 (the server's long-poll limit), not {wait}");
        }

        if (staleness < wait + 1)
        {
            throw r.Error($"revocations.maxStalenessSeconds ({staleness}) must be longer than waitSeconds ({wait}), or every long poll would make the list stale");
        }

        return new RevocationConfig(server, r.Str(n, "project") ?? throw r.Error("revocations.project is required"))
        {
            TokenEnv = r.Str(n, "tokenEnv") ?? "RAMPART_TOKEN",
            WaitSeconds = (int)wait,
            RetrySeconds = r.Double(n, "retrySeconds") ?? 5,
            MaxStalenessSeconds = staleness,
        };
    }

    private static EventsConfig ParseEvents(Reader r, YamlMappingNode n)
    {
        r.Keys(n, "events", "server", "project", "tokenEnv", "batchSize", "flushSeconds", "queueSize", "name");
        var server = r.Str(n, "server") ?? throw r.Error("events.server (the Rampart server's URL) is required");
        if (!Uri.TryCreate(server, UriKind.Absolute, out var u) || u.Scheme is not ("http" or "https"))
        {
            throw r.Error($"events.server is an http(s) URL, not '{server}'");
        }

        var batch = r.Long(n, "batchSize") ?? 200;
        var flush = r.Double(n, "flushSeconds") ?? 5;
        var queue = r.Long(n, "queueSize") ?? 10_000;
        if (batch is < 1 or > 1000)
        {
            throw r.Error($"events.batchSize is between 1 and 1000 (the server's batch limit), not {batch}");
        }

        if (flush is < 0.1 or > 3600)
        {
            throw r.Error($"events.flushSeconds is between 0.1 and 3600, not {flush}");
        }

        if (queue < batch || queue > 1_000_000)
        {
            throw r.Error($"events.queueSize is between batchSize and 1000000, not {queue}");
        }

        return new EventsConfig(server, r.Str(n, "project") ?? throw r.Error("events.project is required"))
        {
            TokenEnv = r.Str(n, "tokenEnv") ?? "RAMPART_TOKEN",
            BatchSize = (int)batch,
            FlushSeconds = flush,
            QueueSize = (int)queue,
            Name = r.Str(n, "name"),
        };
    }

    private static AuthConfig ParseAuth(Reader r, YamlMappingNode n)
    {
        r.Keys(n, "auth", "apiKeys", "jwt", "certificates");
        var certificates = (r.Seq(n, "certificates")?.Children ?? []).Select(c =>
        {
            var m = c as YamlMappingNode ?? throw r.Error("an auth.certificates entry is a mapping");
            r.Keys(m, "auth.certificates entry", "subject", "san", "principal", "roles");
            var subject = r.Str(m, "subject");
            var san = r.Str(m, "san");
            if ((subject is null) == (san is null))
            {
                throw r.Error("an auth.certificates entry names exactly one of subject (the whole distinguished name) or san (a DNS name, URI or e-mail address)");
            }

            return new CertificatePrincipal(subject, san, r.Str(m, "principal") ?? throw r.Error($"auth.certificates entry {subject ?? san} lacks 'principal'"), r.Strings(m, "roles"));
        }).ToImmutableArray();
        JwtConfig? jwt = null;
        if (r.Map(n, "jwt") is { } j)
        {
            r.Keys(j, "jwt", "issuer", "audience", "jwks", "rolesClaim");
            jwt = new JwtConfig(r.Str(j, "issuer") ?? throw r.Error("jwt.issuer is required"), r.Str(j, "audience") ?? throw r.Error("jwt.audience is required"),
                r.Str(j, "jwks") ?? throw r.Error("jwt.jwks (a file or an https URL) is required"), r.Str(j, "rolesClaim") ?? "roles");
        }

        return new AuthConfig { ApiKeys = r.Str(n, "apiKeys"), Jwt = jwt, Certificates = certificates };
    }

    private static AuditConfig ParseAudit(Reader r, YamlMappingNode n)
    {
        r.Keys(n, "audit", "directory", "bodies", "keyFile", "commitIntervalMs");
        var bodies = r.Str(n, "bodies") ?? "redacted";
        if (bodies is not ("none" or "redacted"))
        {
            throw r.Error($"audit.bodies is 'none' or 'redacted', not '{bodies}' (bodies are only ever kept after the guard's redactions)");
        }

        var commit = r.Long(n, "commitIntervalMs") ?? 0;
        if (commit > 1000)
        {
            throw r.Error($"audit.commitIntervalMs is at most 1000 (a machine crash may lose up to this window of acknowledged entries), not {commit}");
        }

        return new AuditConfig(r.Str(n, "directory") ?? throw r.Error("audit.directory is required"), bodies, r.Str(n, "keyFile")) { CommitIntervalMs = (int)commit };
    }

    private static LedgerConfig ParseLedger(Reader r, YamlMappingNode n)
    {
        r.Keys(n, "ledger", "location", "key", "name", "anchorSeconds", "alarms");
        var seconds = r.Double(n, "anchorSeconds") ?? 300;
        if (seconds is < 1 or > 86_400)
        {
            throw r.Error($"ledger.anchorSeconds is between 1 and 86400, not {seconds}");
        }

        return new LedgerConfig(r.Str(n, "location") ?? throw r.Error("ledger.location (a SQLite file or postgres:// URL) is required"),
            r.Str(n, "key") ?? throw r.Error("ledger.key (the PEM signing key the gateway appends with) is required"))
        {
            Name = r.Str(n, "name") ?? "default",
            AnchorSeconds = seconds,
            Alarms = r.Bool(n, "alarms") ?? true,
        };
    }

    private static RedisConfig ParseRedis(Reader r, YamlMappingNode n)
    {
        r.Keys(n, "redis", "connection", "prefix", "onFailure");
        var failOpen = (r.Str(n, "onFailure") ?? "closed") switch
        {
            "closed" => false,
            "open" => true,
            var other => throw r.Error($"redis.onFailure is closed (refuse with 503 while Redis is unreachable) or open (let requests through uncounted), not '{other}'"),
        };
        return new RedisConfig(r.Str(n, "connection") ?? throw r.Error("redis.connection (host:port) is required"), r.Str(n, "prefix") ?? "rampart:", failOpen);
    }

    private static ClusterConfig ParseCluster(Reader r, YamlMappingNode n, string name)
    {
        r.Keys(n, $"cluster {name}", "destinations", "timeoutSeconds", "healthPath", "healthIntervalSeconds", "retries");
        var destinations = r.Strings(n, "destinations");
        if (destinations.IsEmpty || destinations.Any(d => !Uri.TryCreate(d, UriKind.Absolute, out var u) || (u.Scheme != "http" && u.Scheme != "https")))
        {
            throw r.Error($"cluster {name} needs destinations, each an http(s) URL");
        }

        return new ClusterConfig(destinations)
        {
            TimeoutSeconds = r.Double(n, "timeoutSeconds") ?? 60,
            HealthPath = r.Str(n, "healthPath"),
            HealthIntervalSeconds = r.Double(n, "healthIntervalSeconds") ?? 10,
            Retries = (int)(r.Long(n, "retries") ?? 0),
        };
    }

    private static RouteConfig ParseRoute(Reader r, YamlMappingNode n)
    {
        r.Keys(n, "route", "name", "path", "protocol", "cluster", "models", "operation", "public", "allow", "rateLimit", "mode", "checks", "modelVersion");
        var name = r.Str(n, "name") ?? throw r.Error("a route lacks 'name'");
        var protocolText = r.Str(n, "protocol") ?? "opaque";
        var protocol = protocolText switch
        {
            "openai-chat" => GuardProtocol.OpenAiChat,
            "openai-completions" => GuardProtocol.OpenAiCompletions,
            "openai-embeddings" => GuardProtocol.OpenAiEmbeddings,
            "v2-infer" => GuardProtocol.InferenceV2,
            "tf-serving" => GuardProtocol.TfServing,
            "mlflow" => GuardProtocol.MlflowInvocations,
            "opaque" => GuardProtocol.Opaque,
            _ => throw r.Error($"route {name}: unknown protocol '{protocolText}' (openai-chat, openai-completions, openai-embeddings, v2-infer, tf-serving, mlflow, opaque)"),
        };
        var allow = (r.Seq(n, "allow")?.Children ?? []).Select(a =>
        {
            var m = a as YamlMappingNode ?? throw r.Error($"route {name}: an allow entry is a mapping");
            r.Keys(m, $"route {name} allow", "principal", "role", "operations", "models");
            var principal = r.Str(m, "principal");
            var role = r.Str(m, "role");
            if ((principal is null) == (role is null))
            {
                throw r.Error($"route {name}: an allow entry names exactly one of principal or role");
            }

            var operations = r.Strings(m, "operations");
            return new AllowRule(principal, role, operations.IsEmpty ? throw r.Error($"route {name}: an allow entry lists its operations (or '*')") : operations, r.Strings(m, "models"));
        }).ToImmutableArray();
        var rate = r.Map(n, "rateLimit") is { } rl ? ParseRate(r, rl) : new RateLimitConfig();
        var mode = (r.Str(n, "mode") ?? "enforce") switch
        {
            "enforce" => GuardMode.Enforce,
            "monitor" => GuardMode.Monitor,
            var other => throw r.Error($"route {name}: mode is enforce or monitor, not '{other}'"),
        };
        return new RouteConfig
        {
            Name = name,
            Path = r.Str(n, "path") ?? throw r.Error($"route {name} lacks 'path'"),
            Protocol = protocol,
            Cluster = r.Str(n, "cluster") ?? throw r.Error($"route {name} lacks 'cluster'"),
            Models = r.Map(n, "models")?.Children.ToImmutableDictionary(k => r.Text(k.Key, "model"), v => r.Text(v.Value, "cluster"), StringComparer.Ordinal) ?? ImmutableDictionary<string, string>.Empty,
            Operation = r.Str(n, "operation"),
            Public = r.Bool(n, "public") ?? false,
            Allow = allow,
            RateLimit = rate,
            Mode = mode,
            Checks = r.Map(n, "checks") is { } c ? ParseChecks(r, c, name) : new ChecksConfig(),
            ModelVersion = r.Map(n, "modelVersion") is { } mv ? ParseModelVersion(r, mv, name) : null,
        };
    }

    private static ModelVersionRef ParseModelVersion(Reader r, YamlMappingNode n, string route)
    {
        r.Keys(n, $"route {route} modelVersion", "artifact", "version", "digest");
        var reference = new ModelVersionRef(r.Str(n, "artifact"), r.Str(n, "version"), r.Str(n, "digest"));
        if (reference.Digest is null && (reference.Artifact is null || reference.Version is null))
        {
            throw r.Error($"route {route}: modelVersion names a digest (sha256:...) or an artifact and its version");
        }

        if (reference.Digest is { } digest && !digest.StartsWith("sha256:", StringComparison.Ordinal))
        {
            throw r.Error($"route {route}: modelVersion.digest is sha256:<hex>, not '{digest}'");
        }

        return reference;
    }

    private static RateLimitConfig ParseRate(Reader r, YamlMappingNode n)
    {
        r.Keys(n, "rateLimit", "requestsPerMinute", "tokensPerMinute");
        return new RateLimitConfig((int)(r.Long(n, "requestsPerMinute") ?? 0), r.Long(n, "tokensPerMinute") ?? 0);
    }

    private static ChecksConfig ParseChecks(Reader r, YamlMappingNode n, string route)
    {
        r.Keys(n, $"route {route} checks", "secrets", "pii", "canaries", "denyTerms", "denyPatterns", "exfiltration", "maxResponseBytes", "maxResponseTokens", "profile", "masking", "maskingDecimals", "maskingTopK", "injection", "extraction", "drift");
        GuardAction? Action(string key) => r.Str(n, key) switch
        {
            null or "off" => null,
            "annotate" => GuardAction.Annotate,
            "redact" => GuardAction.Redact,
            "block" => GuardAction.Block,
            var other => throw r.Error($"route {route}: checks.{key} is off, annotate, redact or block, not '{other}'"),
        };
        ImmutableArray<string>? hosts = null;
        if (r.Map(n, "exfiltration") is { } ex)
        {
            r.Keys(ex, "exfiltration", "allowedHosts");
            hosts = r.Strings(ex, "allowedHosts");
        }

        var masking = r.Str(n, "masking");
        if (masking is not (null or "round" or "topk" or "label"))
        {
            throw r.Error($"route {route}: checks.masking is round, topk or label, not '{masking}'");
        }

        var injection = Action("injection");
        if (injection == GuardAction.Redact)
        {
            throw r.Error($"route {route}: checks.injection is off, annotate or block (an injection cannot be redacted away)");
        }

        DriftConfig? drift = null;
        if (r.Map(n, "drift") is { } d)
        {
            r.Keys(d, $"route {route} checks.drift", "profile", "windowRows");
            var rows = r.Long(d, "windowRows") ?? 500;
            drift = rows is >= 20 and <= 100_000
                ? new DriftConfig(r.Str(d, "profile") ?? throw r.Error($"route {route}: checks.drift.profile (a training profile) is required"), (int)rows)
                : throw r.Error($"route {route}: checks.drift.windowRows is between 20 and 100000, not {rows}");
        }

        return new ChecksConfig
        {
            Injection = injection,
            Extraction = r.Map(n, "extraction") is { } e ? ParseExtraction(r, e, route) : null,
            Drift = drift,
            Secrets = Action("secrets"),
            Pii = Action("pii"),
            Canaries = r.Strings(n, "canaries"),
            DenyTerms = r.Strings(n, "denyTerms"),
            DenyPatterns = r.Strings(n, "denyPatterns"),
            ExfiltrationAllowedHosts = hosts,
            MaxResponseBytes = r.Long(n, "maxResponseBytes") ?? 0,
            MaxResponseTokens = r.Long(n, "maxResponseTokens") ?? 0,
            Profile = r.Str(n, "profile"),
            Masking = masking,
            MaskingDecimals = (int)(r.Long(n, "maskingDecimals") ?? 2),
            MaskingTopK = (int)(r.Long(n, "maskingTopK") ?? 1),
        };
    }

    private static ExtractionConfig ParseExtraction(Reader r, YamlMappingNode n, string route)
    {
        r.Keys(n, $"route {route} checks.extraction", "action", "profile", "features", "pradaDelta", "minQueries", "queryBudget", "nearDuplicateRadius", "burstCount");
        var action = (r.Str(n, "action") ?? "block") switch
        {
            "block" => GuardAction.Block,
            "annotate" => GuardAction.Annotate,
            var other => throw r.Error($"route {route}: checks.extraction.action is block or annotate, not '{other}'"),
        };
        var delta = r.Double(n, "pradaDelta");
        if (delta is <= 0 or >= 1)
        {
            throw r.Error($"route {route}: checks.extraction.pradaDelta is between 0 and 1 (a Shapiro-Wilk W), not {delta}");
        }

        var minQueries = r.Long(n, "minQueries");
        if (minQueries is < 3 or > 256)
        {
            throw r.Error($"route {route}: checks.extraction.minQueries is between 3 and 256, not {minQueries}");
        }

        var features = r.Strings(n, "features");
        var profile = r.Str(n, "profile");
        if (profile is not null && features.IsEmpty)
        {
            throw r.Error($"route {route}: checks.extraction.profile needs 'features' (the profile's feature names in column order)");
        }

        return new ExtractionConfig
        {
            Action = action,
            Profile = profile,
            Features = features,
            PradaDelta = delta,
            MinQueries = (int?)minQueries,
            QueryBudget = r.Long(n, "queryBudget"),
            NearDuplicateRadius = r.Double(n, "nearDuplicateRadius"),
            BurstCount = (int?)r.Long(n, "burstCount"),
        };
    }

    /// <summary>Typed access to YAML nodes with errors that name the file.</summary>
    private sealed class Reader(string source)
    {
        public InvalidDataException Error(string message) => new($"{source}: {message}");

        public void Keys(YamlMappingNode node, string where, params string[] known)
        {
            foreach (var key in node.Children.Keys)
            {
                var k = Text(key, "key");
                if (!known.Contains(k, StringComparer.Ordinal))
                {
                    throw Error($"unknown key '{k}' in {where} (known: {string.Join(", ", known)})");
                }
            }
        }

        public string Text(YamlNode node, string what) => node is YamlScalarNode { Value: { } v } ? v : throw Error($"a {what} must be a single value");

        private static YamlNode? Get(YamlMappingNode node, string key) => node.Children.TryGetValue(new YamlScalarNode(key), out var v) ? v : null;

        public string? Str(YamlMappingNode node, string key) => Get(node, key) is { } v ? Text(v, key) : null;

        public YamlMappingNode? Map(YamlMappingNode node, string key) => Get(node, key) switch
        {
            null => null,
            YamlMappingNode m => m,
            _ => throw Error($"'{key}' must be a mapping"),
        };

        public YamlSequenceNode? Seq(YamlMappingNode node, string key) => Get(node, key) switch
        {
            null => null,
            YamlSequenceNode s => s,
            _ => throw Error($"'{key}' must be a list"),
        };

        public ImmutableArray<string> Strings(YamlMappingNode node, string key) => [.. (Seq(node, key)?.Children ?? []).Select(c => Text(c, key))];

        public long? Long(YamlMappingNode node, string key) => Str(node, key) is { } s
            ? long.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) && v >= 0 ? v : throw Error($"'{key}' must be a whole number >= 0, not '{s}'")
            : null;

        public double? Double(YamlMappingNode node, string key) => Str(node, key) is { } s
            ? double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && v >= 0 ? v : throw Error($"'{key}' must be a number >= 0, not '{s}'")
            : null;

        public bool? Bool(YamlMappingNode node, string key) => Str(node, key) is { } s
            ? bool.TryParse(s, out var v) ? v : throw Error($"'{key}' must be true or false, not '{s}'")
            : null;
    }
}
