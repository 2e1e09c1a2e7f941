using System.Collections.Immutable;
using System.Globalization;
using System.Text.Json;
using Rampart.Core;
using Rampart.Core.IO;
using Rampart.Core.Policy;
using Rampart.Data.Scan;
using Rampart.Gateway.Config;
using Rampart.Guard.Pipeline;
using Rampart.Integrity.Hashing;
using Rampart.Integrity.Signing;
using Rampart.Provenance;
using Rampart.RedTeam.Reports;
using Rampart.Scanning.Engine;
using Rampart.Threats.Model;

namespace Rampart.Threats.Evidence;

/// <summary>The evidence checks Rampart can run; rules/threats/mitigations.json maps ATLAS mitigations to them.</summary>
public static class EvidenceChecks
{
    public const string ModelScan = "model-scan";
    public const string ModelSignature = "model-signature";
    public const string DatasetScan = "dataset-scan";
    public const string DependencyAudit = "dependency-audit";
    public const string Ledger = "ledger";
    public const string GatewayAuth = "gateway-auth";
    public const string GatewayRateLimit = "gateway-rate-limit";
    public const string GatewayDetectors = "gateway-detectors";
    public const string GatewayOutputMasking = "gateway-output-masking";
    public const string GatewayAuditLog = "gateway-audit-log";
    public const string RedTeam = "red-team";

    public static ImmutableArray<string> All { get; } =
        [ModelScan, ModelSignature, DatasetScan, DependencyAudit, Ledger, GatewayAuth, GatewayRateLimit, GatewayDetectors, GatewayOutputMasking, GatewayAuditLog, RedTeam];
}

public enum EvidenceStatus
{
    /// <summary>The artifact shows the control works.</summary>
    Passed,

    /// <summary>The control is partly there (a signature checked without a trusted key, a guard in monitor mode, an old red-team run).</summary>
    Partial,

    /// <summary>The artifact shows the control is missing or broken (a tampered model, a public route), or could not be read.</summary>
    Failed,
}

/// <summary>One check against one artifact. <paramref name="Source"/> is the artifact's path as written in system.yaml.</summary>
public sealed record EvidenceItem(string Check, EvidenceStatus Status, string Detail, string Source);

/// <summary>The evidence found for each component (by id) and for the whole system (<see cref="SystemWide"/>).</summary>
public sealed record EvidenceSet(ImmutableDictionary<string, ImmutableArray<EvidenceItem>> ByComponent, ImmutableArray<EvidenceItem> SystemWide)
{
    public static EvidenceSet Empty { get; } = new(ImmutableDictionary<string, ImmutableArray<EvidenceItem>>.Empty, []);

    public ImmutableArray<EvidenceItem> For(string componentId) => ByComponent.GetValueOrDefault(componentId, []);
}

/// <summary>
/// Checks what system.yaml's evidence entries point at, through the rooms' own libraries: the scanner for model and
/// dataset files, Integrity's verifier for signatures, the provenance ledger's verifier, the gateway's configuration
/// parser (no host is started), and the JSON of `rampart audit` and of `rampart redteam`. What cannot be read is a failed
/// check with the reason, never a pass.
/// </summary>
public sealed class EvidenceCollector(TimeProvider time)
{
    /// <summary>A red-team run older than this counts only as partial evidence.</summary>
    public static readonly TimeSpan RedTeamFreshness = TimeSpan.FromDays(90);

    private readonly Dictionary<string, ImmutableArray<EvidenceItem>> _cache = new(StringComparer.Ordinal);

    public async Task<EvidenceSet> CollectAsync(SystemModel system, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(system);
        var byComponent = ImmutableDictionary.CreateBuilder<string, ImmutableArray<EvidenceItem>>(StringComparer.Ordinal);
        foreach (var c in system.Components.Where(c => !c.Evidence.IsEmpty))
        {
            byComponent[c.Id] = await CollectAsync(system, c.Evidence, cancellationToken).ConfigureAwait(false);
        }

        var systemWide = system.Evidence.IsEmpty ? [] : await CollectAsync(system, system.Evidence, cancellationToken).ConfigureAwait(false);
        return new EvidenceSet(byComponent.ToImmutable(), systemWide);
    }

    private async Task<ImmutableArray<EvidenceItem>> CollectAsync(SystemModel system, EvidenceSources e, CancellationToken cancellationToken)
    {
        var items = new List<EvidenceItem>();
        string Full(string p) => Path.GetFullPath(p, system.BaseDirectory);
        if (e.Model is { } model)
        {
            items.AddRange(await Cached($"scan:{model}", () => ScanAsync(EvidenceChecks.ModelScan, Full(model), model, cancellationToken)).ConfigureAwait(false));
            items.Add(await SignatureAsync(Full(model), model, e, Full, cancellationToken).ConfigureAwait(false));
        }

        if (e.Dataset is { } dataset)
        {
            items.AddRange(await Cached($"dataset:{dataset}", () => DatasetAsync(Full(dataset), dataset, cancellationToken)).ConfigureAwait(false));
        }

        if (e.Audit is { } audit)
        {
            items.Add(AuditReport(Full(audit), audit));
        }

        if (e.Ledger is { } ledger)
        {
            items.AddRange(await Cached($"ledger:{ledger}", async () => [await LedgerAsync(Ledger.IsDatabaseUrl(ledger) ? ledger : Full(ledger), ledger, cancellationToken).ConfigureAwait(false)]).ConfigureAwait(false));
        }

        if (e.Gateway is { } gateway)
        {
            items.AddRange(Gateway(Full(gateway), gateway, e.Routes));
        }

        if (e.RedTeam is { } redTeam)
        {
            items.Add(RedTeamRun(Full(redTeam), redTeam));
        }

        return [.. items];
    }

    private async Task<ImmutableArray<EvidenceItem>> Cached(string key, Func<Task<ImmutableArray<EvidenceItem>>> run)
    {
        if (!_cache.TryGetValue(key, out var items))
        {
            items = await run().ConfigureAwait(false);
            _cache[key] = items;
        }

        return items;
    }

    private async Task<ImmutableArray<EvidenceItem>> ScanAsync(string check, string path, string shown, CancellationToken cancellationToken)
    {
        if (!File.Exists(path) && !Directory.Exists(path))
        {
            return [new EvidenceItem(check, EvidenceStatus.Failed, $"'{shown}' does not exist", shown)];
        }

        var report = await Scanner.CreateDefault(time).ScanAsync([path], ScanPolicy.Default, cancellationToken: cancellationToken).ConfigureAwait(false);
        var verdict = report.Verdict;
        var what = check == EvidenceChecks.ModelScan ? "model" : "dataset";
        if (verdict == Verdict.Clean)
        {
            return [new EvidenceItem(check, EvidenceStatus.Passed, string.Create(CultureInfo.InvariantCulture, $"{what} scan: clean ({report.Summary.Files} file(s), {report.Summary.Artifacts} artifact(s))"), shown)];
        }

        var rules = report.Findings.Where(f => f.Severity >= Severity.Medium || f.Verdict != Verdict.Clean).Select(f => f.RuleId).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).Take(5);
        return [new EvidenceItem(check, EvidenceStatus.Failed, $"{what} scan: {verdict.ToWire()} ({string.Join(", ", rules)})", shown)];
    }

    /// <summary>Most data files one dataset entry may name (a folder with more is only partly checked).</summary>
    public const int MaxDatasetFiles = 20;

    private static readonly string[] DataExtensions = [".csv", ".tsv", ".tab", ".jsonl", ".ndjson", ".parquet"];

    /// <summary>
    /// A dataset is judged twice, in one item: the scanner looks for executable content (a pickle in the data folder),
    /// then `rampart data scan` (Rampart.Data) reads each data file for the signs of poisoning and leaks: backdoor
    /// triggers, conflicting or noisy labels, duplicates, outliers, secrets. Personal data is reported, not held
    /// against the check: the data classes in system.yaml say whether it is expected.
    /// </summary>
    private async Task<ImmutableArray<EvidenceItem>> DatasetAsync(string path, string shown, CancellationToken cancellationToken)
    {
        var content = await ScanAsync(EvidenceChecks.DatasetScan, path, shown, cancellationToken).ConfigureAwait(false);
        if (content.Any(i => i.Status == EvidenceStatus.Failed))
        {
            return content;
        }

        EvidenceItem Item(EvidenceStatus status, string detail) => new(EvidenceChecks.DatasetScan, status, detail, shown);
        var files = File.Exists(path)
            ? [path]
            : Directory.EnumerateFiles(path, "*", SearchOption.AllDirectories)
                .Where(f => DataExtensions.Contains(Path.GetExtension(f).ToLowerInvariant()))
                .Order(StringComparer.Ordinal).ToList();
        if (files.Count == 0)
        {
            return [Item(EvidenceStatus.Partial, "no executable content, but no CSV, TSV, JSON Lines or Parquet file for `rampart data scan` to read")];
        }

        var serious = new List<string>();
        var review = new List<string>();
        var minor = 0;
        var personal = new SortedSet<string>(StringComparer.Ordinal);
        long rows = 0;
        foreach (var file in files.Take(MaxDatasetFiles))
        {
            var name = Path.GetRelativePath(path, file) is "." ? Path.GetFileName(file) : Path.GetRelativePath(path, file);
            DatasetScanResult result;
            try
            {
                result = await Task.Run(() => DatasetScanner.Scan(file, DataScanOptions.Default, cancellationToken), cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is InvalidDataException or IOException or UnauthorizedAccessException or FileTooLargeException)
            {
                return [Item(EvidenceStatus.Failed, $"data scan of {name} failed: {ex.Message}")];
            }

            if (result.Failure is { } failure)
            {
                return [Item(EvidenceStatus.Failed, $"data scan of {name} is inconclusive: {failure}")];
            }

            rows += result.Rows;
            personal.UnionWith(result.PersonalData.Select(c => c.Column));
            foreach (var group in result.Findings.Where(f => f.RuleId != DataRules.PersonalData).GroupBy(f => (f.RuleId, f.Severity)))
            {
                var text = string.Create(CultureInfo.InvariantCulture, $"{group.Key.RuleId} x{group.Count()} in {name}");
                (group.Key.Severity >= Severity.High ? serious : group.Key.Severity == Severity.Medium ? review : null)?.Add(text);
                minor += group.Key.Severity < Severity.Medium ? group.Count() : 0;
            }
        }

        var read = string.Create(CultureInfo.InvariantCulture, $"data scan of {rows} row(s) in {Math.Min(files.Count, MaxDatasetFiles)} file(s)");
        var notes = (personal.Count > 0 ? $"; personal data in column(s) {string.Join(", ", personal)}" : "")
            + (minor > 0 ? string.Create(CultureInfo.InvariantCulture, $"; {minor} low-severity finding(s)") : "");
        return serious.Count > 0 ? [Item(EvidenceStatus.Failed, $"{read}: {string.Join("; ", serious.Concat(review))}{notes}")]
            : review.Count > 0 ? [Item(EvidenceStatus.Partial, $"{read}: needs review: {string.Join("; ", review)}{notes}")]
            : files.Count > MaxDatasetFiles ? [Item(EvidenceStatus.Partial, string.Create(CultureInfo.InvariantCulture, $"{read}: clean, but only the first {MaxDatasetFiles} of {files.Count} data files were read{notes}"))]
            : [Item(EvidenceStatus.Passed, $"{read}: no triggers, label conflicts, label noise, secrets or medium findings; no executable content{notes}")];
    }

    private static async Task<EvidenceItem> SignatureAsync(string model, string shown, EvidenceSources e, Func<string, string> full, CancellationToken cancellationToken)
    {
        var signatureShown = e.Signature ?? (Directory.Exists(model) ? Path.Combine(shown, "model.sig") : shown + ".sig");
        var signature = full(signatureShown);
        if (!File.Exists(model) && !Directory.Exists(model))
        {
            return new EvidenceItem(EvidenceChecks.ModelSignature, EvidenceStatus.Failed, $"'{shown}' does not exist", shown);
        }

        if (!File.Exists(signature))
        {
            return new EvidenceItem(EvidenceChecks.ModelSignature, EvidenceStatus.Failed, $"not signed: no signature at '{signatureShown}' (rampart sign)", signatureShown);
        }

        VerificationTrust trust = e.PublicKey is { } key ? new VerificationTrust.PublicKey(full(key)) : new VerificationTrust.Unverified();
        VerificationResult result;
        try
        {
            result = await ModelVerifier.VerifyAsync(model, signature, trust, new VerificationOptions(), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IntegrityException or IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException or InvalidDataException)
        {
            return new EvidenceItem(EvidenceChecks.ModelSignature, EvidenceStatus.Failed, $"cannot verify: {ex.Message}", signatureShown);
        }

        if (!result.Succeeded)
        {
            var problems = result.Problems.Take(3).Select(p => p.Resource is null ? p.Message : $"{p.Kind.ToString().ToLowerInvariant()}: {p.Resource}");
            return new EvidenceItem(EvidenceChecks.ModelSignature, EvidenceStatus.Failed, $"signature does not verify: {string.Join("; ", problems)}", signatureShown);
        }

        return e.PublicKey is null
            ? new EvidenceItem(EvidenceChecks.ModelSignature, EvidenceStatus.Partial, "the files match the signature, but no publicKey was given, so who signed it is not checked", signatureShown)
            : new EvidenceItem(EvidenceChecks.ModelSignature, EvidenceStatus.Passed, $"signature verifies with {e.PublicKey}; every file matches", signatureShown);
    }

    private static EvidenceItem AuditReport(string path, string shown)
    {
        try
        {
            using var doc = JsonDocument.Parse(BoundedFile.ReadAllBytes(path, 64L * 1024 * 1024));
            var root = doc.RootElement;
            if (!root.TryGetProperty("schemaVersion", out _) || !root.TryGetProperty("verdict", out var verdict))
            {
                return new EvidenceItem(EvidenceChecks.DependencyAudit, EvidenceStatus.Failed, "not a Rampart JSON report (rampart audit --format json)", shown);
            }

            var findings = root.TryGetProperty("findings", out var f) ? f.GetArrayLength() : 0;
            return verdict.GetString() == "clean"
                ? new EvidenceItem(EvidenceChecks.DependencyAudit, EvidenceStatus.Passed, "dependency audit: clean", shown)
                : new EvidenceItem(EvidenceChecks.DependencyAudit, EvidenceStatus.Failed, string.Create(CultureInfo.InvariantCulture, $"dependency audit: {verdict.GetString()} ({findings} finding(s))"), shown);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or JsonException or FileTooLargeException or InvalidOperationException)
        {
            return new EvidenceItem(EvidenceChecks.DependencyAudit, EvidenceStatus.Failed, $"cannot read the audit report: {ex.Message}", shown);
        }
    }

    private async Task<EvidenceItem> LedgerAsync(string location, string shown, CancellationToken cancellationToken)
    {
        if (!Ledger.IsDatabaseUrl(location) && !File.Exists(location))
        {
            return new EvidenceItem(EvidenceChecks.Ledger, EvidenceStatus.Failed, $"no ledger at '{shown}'", shown);
        }

        try
        {
            var ledger = await Ledger.OpenAsync(location, time: time, cancellationToken: cancellationToken).ConfigureAwait(false);
            await using (ledger.ConfigureAwait(false))
            {
                var result = await ledger.VerifyAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
                return result.Ok
                    ? new EvidenceItem(EvidenceChecks.Ledger, EvidenceStatus.Passed, string.Create(CultureInfo.InvariantCulture, $"ledger verifies: {result.Size} entries, every leaf and checkpoint consistent"), shown)
                    : new EvidenceItem(EvidenceChecks.Ledger, EvidenceStatus.Failed, $"ledger does not verify: {string.Join("; ", result.Problems.Take(3))}", shown);
            }
        }
#pragma warning disable CA1031 // A ledger that cannot be opened or read is failed evidence with its reason, whatever the store throws.
        catch (Exception ex) when (ex is not OperationCanceledException)
#pragma warning restore CA1031
        {
            return new EvidenceItem(EvidenceChecks.Ledger, EvidenceStatus.Failed, $"ledger cannot be verified: {ex.Message}", shown);
        }
    }

    private static IEnumerable<EvidenceItem> Gateway(string path, string shown, ImmutableArray<string> routeNames)
    {
        GatewayConfig config;
        try
        {
            config = GatewayConfigParser.Load(path);
        }
        catch (Exception ex) when (ex is InvalidDataException or IOException or UnauthorizedAccessException or FileTooLargeException)
        {
            var reason = $"the gateway configuration cannot be used: {ex.Message}";
            return new[] { EvidenceChecks.GatewayAuth, EvidenceChecks.GatewayRateLimit, EvidenceChecks.GatewayDetectors, EvidenceChecks.GatewayAuditLog }
                .Select(c => new EvidenceItem(c, EvidenceStatus.Failed, reason, shown));
        }

        var unknown = routeNames.Where(n => config.Routes.All(r => r.Name != n)).ToList();
        if (unknown.Count > 0)
        {
            var reason = $"route(s) {string.Join(", ", unknown)} are not in {shown}";
            return new[] { EvidenceChecks.GatewayAuth, EvidenceChecks.GatewayRateLimit, EvidenceChecks.GatewayDetectors }
                .Select(c => new EvidenceItem(c, EvidenceStatus.Failed, reason, shown));
        }

        var routes = routeNames.IsEmpty ? config.Routes : [.. config.Routes.Where(r => routeNames.Contains(r.Name))];
        return GatewayChecks.Judge(config, routes, shown);
    }

    private EvidenceItem RedTeamRun(string path, string shown)
    {
        RedTeamReportSummary report;
        try
        {
            report = RedTeamReportSummary.Parse(BoundedFile.ReadAllBytes(path, RedTeamReportSummary.MaxBytes));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FileTooLargeException or InvalidDataException)
        {
            return new EvidenceItem(EvidenceChecks.RedTeam, EvidenceStatus.Failed, $"cannot read the red-team report (rampart redteam -f json): {ex.Message}", shown);
        }

        return RedTeamChecks.Judge(report, time.GetUtcNow(), shown);
    }
}

/// <summary>What a `rampart redteam` JSON report shows about the component it attacked.</summary>
internal static class RedTeamChecks
{
    public static EvidenceItem Judge(RedTeamReportSummary report, DateTimeOffset now, string shown)
    {
        var when = report.StartedAt.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        var target = report.Runs[0];
        var run = $"red-team run ({report.Kind}) of {when} against {target.Target}";
        EvidenceItem Item(EvidenceStatus status, string detail) => new(EvidenceChecks.RedTeam, status, $"{run}: {detail}", shown);

        if (report.StartedAt.UtcDateTime.Date > now.UtcDateTime.Date)
        {
            return Item(EvidenceStatus.Failed, "it is dated after this assessment, so it is not evidence for it");
        }

        if (target.Tried == 0)
        {
            return Item(EvidenceStatus.Failed, "it tried no probes or attacks");
        }

        var tried = string.Create(CultureInfo.InvariantCulture, $"{target.Succeeded} of {target.Tried} probes and attacks succeeded");
        if (target.Succeeded > 0)
        {
            var rules = target.FindingRules.IsEmpty ? "" : $" ({string.Join(", ", target.FindingRules)})";
            var guarded = report.Runs.Skip(1).FirstOrDefault(r => r.Succeeded == 0 && !r.Partial && r.Tried == target.Tried);
            return guarded is null
                ? Item(EvidenceStatus.Failed, $"{tried}{rules}")
                : Item(EvidenceStatus.Partial, string.Create(CultureInfo.InvariantCulture, $"{tried} directly{rules}; {guarded.Label} ({guarded.Target}) none of {guarded.Tried} did"));
        }

        if (target.Partial || target.Inconclusive > 0)
        {
            return Item(EvidenceStatus.Partial, string.Create(CultureInfo.InvariantCulture, $"{tried}, but the run is partial ({target.Inconclusive} could not be judged): a lower bound"));
        }

        var age = now - report.StartedAt;
        return age > EvidenceCollector.RedTeamFreshness
            ? Item(EvidenceStatus.Partial, string.Create(CultureInfo.InvariantCulture, $"{tried}, but it is {(int)age.TotalDays} days old (over {EvidenceCollector.RedTeamFreshness.TotalDays:0})"))
            : Item(EvidenceStatus.Passed, tried);
    }
}

/// <summary>What a gateway configuration shows about the routes in front of a component.</summary>
internal static class GatewayChecks
{
    public static IEnumerable<EvidenceItem> Judge(GatewayConfig config, ImmutableArray<RouteConfig> routes, string shown)
    {
        var open = routes.Where(r => r.Public).Select(r => r.Name).ToList();
        yield return open.Count == 0
            ? new EvidenceItem(EvidenceChecks.GatewayAuth, EvidenceStatus.Passed, $"every route ({Names(routes)}) authenticates ({Auth(config.Auth)}) and authorises (deny by default)", shown)
            : new EvidenceItem(EvidenceChecks.GatewayAuth, EvidenceStatus.Failed, $"route(s) {string.Join(", ", open)} are public: anyone can call them without credentials", shown);

        var unlimited = routes.Where(r => r.RateLimit.RequestsPerMinute <= 0 && r.RateLimit.TokensPerMinute <= 0).Select(r => r.Name).ToList();
        yield return unlimited.Count == 0
            ? new EvidenceItem(EvidenceChecks.GatewayRateLimit, EvidenceStatus.Passed, $"every route ({Names(routes)}) has a rate limit per principal", shown)
            : new EvidenceItem(EvidenceChecks.GatewayRateLimit, EvidenceStatus.Failed, $"route(s) {string.Join(", ", unlimited)} have no rate limit", shown);

        var missing = new List<string>();
        var weak = new List<string>();
        foreach (var r in routes)
        {
            var (off, partly) = Detectors(r);
            missing.AddRange(off.Select(d => $"{r.Name} ({d})"));
            weak.AddRange(partly.Select(d => $"{r.Name} ({d})"));
            if (off.Count == 0 && r.Mode == GuardMode.Monitor)
            {
                weak.Add($"{r.Name} (monitor mode: attacks are logged, not stopped)");
            }
        }

        yield return missing.Count > 0
            ? new EvidenceItem(EvidenceChecks.GatewayDetectors, EvidenceStatus.Failed, $"detectors missing on route(s): {string.Join("; ", missing)}", shown)
            : weak.Count > 0
                ? new EvidenceItem(EvidenceChecks.GatewayDetectors, EvidenceStatus.Partial, $"detectors are on, but not all stop attacks: {string.Join("; ", weak)}", shown)
                : new EvidenceItem(EvidenceChecks.GatewayDetectors, EvidenceStatus.Passed, $"detectors on and enforcing on every route ({string.Join("; ", routes.Select(r => $"{r.Name}: {string.Join(", ", Enabled(r))}"))})", shown);

        var predict = routes.Where(r => r.Protocol is GuardProtocol.InferenceV2 or GuardProtocol.TfServing or GuardProtocol.MlflowInvocations).ToList();
        if (predict.Count > 0)
        {
            var unmasked = predict.Where(r => r.Checks.Masking is null).Select(r => r.Name).ToList();
            yield return unmasked.Count == 0
                ? new EvidenceItem(EvidenceChecks.GatewayOutputMasking, EvidenceStatus.Passed, $"prediction route(s) {Names([.. predict])} coarsen their outputs (masking)", shown)
                : new EvidenceItem(EvidenceChecks.GatewayOutputMasking, EvidenceStatus.Failed, $"prediction route(s) {string.Join(", ", unmasked)} return full-precision outputs (no masking)", shown);
        }

        yield return config.Audit is { } audit
            ? new EvidenceItem(EvidenceChecks.GatewayAuditLog, EvidenceStatus.Passed, $"hash-chained audit log in '{audit.Directory}' (bodies: {audit.Bodies})", shown)
            : new EvidenceItem(EvidenceChecks.GatewayAuditLog, EvidenceStatus.Failed, "no audit log configured: requests leave no trace", shown);
    }

    /// <summary>
    /// The detectors a route lacks (off) and those that only record (partly). LLM routes need secrets, pii and (chat,
    /// completions) injection; prediction routes need an input profile and extraction protection, and should watch
    /// drift; an opaque route cannot be checked at all.
    /// </summary>
    private static (List<string> Off, List<string> Partly) Detectors(RouteConfig route)
    {
        var c = route.Checks;
        var off = new List<string>();
        var partly = new List<string>();
        void Need(string name, GuardAction? action)
        {
            if (action is null or GuardAction.Allow)
            {
                off.Add($"no {name}");
            }
            else if (action == GuardAction.Annotate)
            {
                partly.Add($"{name}: annotate only");
            }
        }

        switch (route.Protocol)
        {
            case GuardProtocol.Opaque:
                off.Add("opaque: its bodies cannot be checked");
                break;
            case GuardProtocol.OpenAiChat or GuardProtocol.OpenAiCompletions or GuardProtocol.OpenAiEmbeddings:
                Need("secrets", c.Secrets);
                Need("pii", c.Pii);
                if (route.Protocol != GuardProtocol.OpenAiEmbeddings)
                {
                    Need("injection", c.Injection);
                }

                break;
            default:
                if (c.Profile is null)
                {
                    off.Add("no input profile");
                }

                Need("extraction", c.Extraction?.Action);
                if (c.Drift is null)
                {
                    partly.Add("no drift window");
                }

                break;
        }

        return (off, partly);
    }

    private static IEnumerable<string> Enabled(RouteConfig route)
    {
        var c = route.Checks;
        return new (string Name, bool On)[]
        {
            ("secrets", c.Secrets is not null and not GuardAction.Allow),
            ("pii", c.Pii is not null and not GuardAction.Allow),
            ("injection", c.Injection is not null and not GuardAction.Allow),
            ("input profile", c.Profile is not null),
            ("extraction", c.Extraction is not null),
            ("drift", c.Drift is not null),
        }.Where(d => d.On).Select(d => d.Name);
    }

    private static string Names(IReadOnlyList<RouteConfig> routes) => string.Join(", ", routes.Select(r => r.Name));

    private static string Auth(AuthConfig auth) => (auth.ApiKeys, auth.Jwt) switch
    {
        (not null, not null) => "API keys, JWT",
        (not null, null) => "API keys",
        _ => "JWT",
    };
}
