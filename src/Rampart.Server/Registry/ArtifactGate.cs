using System.Text.Json;
using Rampart.Core;
using Rampart.Core.Policy;
using Rampart.Core.Reporting;
using Rampart.Core.Reporting.Json;
using Rampart.Integrity.Hashing;
using Rampart.Integrity.Signing;
using Rampart.Scanning;
using Rampart.Scanning.Analyzers.Dependencies;
using Rampart.Scanning.Engine;

namespace Rampart.Server.Registry;

/// <summary>What the gate looks at: the version's blob and what was attached to it, and the project's trusted keys.</summary>
public sealed record GateInput(string Digest, string FileName, string Kind, string? SignatureDigest, string? RequirementsDigest, IReadOnlyList<(string Name, string Pem)> TrustedKeys);

/// <summary>One line of the gate's findings, as shown to reviewers.</summary>
public sealed record GateFinding(string Source, string Rule, string Severity, string Message, string Path);

/// <summary>The gate's outcome: the verdicts of the three checks and whether the version may go to review.</summary>
public sealed record GateResult(string ScanVerdict, string SignatureStatus, string AuditVerdict, IReadOnlyList<GateFinding> Findings, string? ReportDigest, string ToolVersion)
{
    /// <summary>Passes only when the scan is clean or needs review, the signature holds (or none is required) and the audit did not fail.</summary>
    public bool Passed =>
        ScanVerdict is "clean" or "needs-review"
        && SignatureStatus is "verified" or "not-required"
        && AuditVerdict is "none" or "clean" or "needs-review";
}

/// <summary>
/// The quarantine gate. Holds no detection logic: it lays the blob out under its file name (a symbolic link in a
/// private work folder) and calls the scanner library, the model-signing verifier and the dependency audit.
/// Anything that fails is a failed check (fail closed), never a pass.
/// </summary>
public sealed class ArtifactGate(BlobStore blobs, string workRoot, TimeProvider time, string? advisoryDatabase)
{
    private const int MaxFindings = 200;

    public async Task<GateResult> RunAsync(GateInput input, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(input);
        var findings = new List<GateFinding>();
        var work = Path.Combine(workRoot, Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path.Combine(work, "model"));
        try
        {
            try
            {
                await blobs.VerifyAsync(input.Digest, cancellationToken).ConfigureAwait(false);
            }
            catch (BlobCorruptedException e)
            {
                findings.Add(new GateFinding("store", "blob-digest", "critical", e.Message, input.FileName));
                return new GateResult("inconclusive", "failed", "inconclusive", findings, null, RampartTool.Info.Version);
            }

            var model = Path.Combine(work, "model", input.FileName);
            File.CreateSymbolicLink(model, blobs.PathOf(input.Digest));

            var (scanVerdict, reportDigest) = await ScanAsync(model, work, input.Kind, findings, cancellationToken).ConfigureAwait(false);
            var signature = await VerifySignatureAsync(model, work, input, findings, cancellationToken).ConfigureAwait(false);
            var audit = await AuditAsync(work, input.RequirementsDigest, findings, cancellationToken).ConfigureAwait(false);
            return new GateResult(scanVerdict, signature, audit, findings.Take(MaxFindings).ToList(), reportDigest, RampartTool.Info.Version);
        }
        finally
        {
            try
            {
                Directory.Delete(work, recursive: true);
            }
            catch (IOException)
            {
                // A leftover work folder holds only links and copies; the next start clears the work root.
            }
        }
    }

    private async Task<(string Verdict, string? ReportDigest)> ScanAsync(string model, string work, string kind, List<GateFinding> findings, CancellationToken cancellationToken)
    {
        ScanReport report;
        try
        {
            report = await Scanner.CreateDefault(time).ScanAsync([model], ScanPolicy.Default, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (ScanTargetException e)
        {
            findings.Add(new GateFinding("scan", "scan-failed", "high", e.Message, Path.GetFileName(model)));
            return ("inconclusive", null);
        }

        foreach (var finding in report.Findings)
        {
            findings.Add(new GateFinding("scan", finding.RuleId, finding.Severity.ToWire(), finding.Message, Relative(finding.ArtifactPath, work)));
        }

        var verdict = report.Verdict;
        if (kind == "model" && report.Artifacts.All(a => a.Status == ArtifactStatus.Skipped))
        {
            // A model no analyzer understood has not been judged: it must not look clean.
            findings.Add(new GateFinding("scan", "unrecognised-model", "high", "no analyzer recognised this file as a model format, so its safety is unknown", Path.GetFileName(model)));
            verdict = verdict.Worst(Verdict.Inconclusive);
        }

        using var buffer = new MemoryStream();
        await new JsonReporter().WriteAsync(report, buffer, cancellationToken).ConfigureAwait(false);
        var digest = await blobs.PutAsync(buffer.ToArray(), cancellationToken).ConfigureAwait(false);
        return (verdict.ToWire(), digest);
    }

    private async Task<string> VerifySignatureAsync(string model, string work, GateInput input, List<GateFinding> findings, CancellationToken cancellationToken)
    {
        if (input.TrustedKeys.Count == 0)
        {
            return "not-required";
        }

        if (input.SignatureDigest is null)
        {
            findings.Add(new GateFinding("signature", "unsigned", "high", "the project trusts signing keys, but no signature was attached to this version", input.FileName));
            return "unsigned";
        }

        var signature = Path.Combine(work, "model.sig");
        File.CreateSymbolicLink(signature, blobs.PathOf(input.SignatureDigest));
        var problems = new List<string>();
        for (var i = 0; i < input.TrustedKeys.Count; i++)
        {
            var keyFile = Path.Combine(work, $"key{i}.pem");
            await File.WriteAllTextAsync(keyFile, input.TrustedKeys[i].Pem, cancellationToken).ConfigureAwait(false);
            VerificationResult result;
            try
            {
                result = await ModelVerifier.VerifyAsync(model, signature, new VerificationTrust.PublicKey(keyFile), new VerificationOptions { AllowSymlinks = true }, cancellationToken).ConfigureAwait(false);
            }
            catch (IntegrityException e)
            {
                problems.Add($"{input.TrustedKeys[i].Name}: {e.Message}");
                continue;
            }

            if (result.Succeeded)
            {
                return "verified";
            }

            problems.Add($"{input.TrustedKeys[i].Name}: {string.Join("; ", result.Problems.Select(p => p.Message))}");
        }

        findings.Add(new GateFinding("signature", "signature-invalid", "critical", "no trusted key verifies the attached signature: " + string.Join(" | ", problems), input.FileName));
        return "failed";
    }

    private async Task<string> AuditAsync(string work, string? requirementsDigest, List<GateFinding> findings, CancellationToken cancellationToken)
    {
        if (requirementsDigest is null)
        {
            return "none";
        }

        var folder = Path.Combine(work, "requirements");
        Directory.CreateDirectory(folder);
        var file = Path.Combine(folder, "requirements.txt");
        File.CreateSymbolicLink(file, blobs.PathOf(requirementsDigest));
        var policy = ScanPolicy.Default with
        {
            Advisories = advisoryDatabase is null ? AdvisoryMode.Off : AdvisoryMode.Required,
            AdvisoryDatabase = advisoryDatabase,
        };
        var report = await DependencyScanner.Create(time).ScanAsync([file], policy, cancellationToken: cancellationToken).ConfigureAwait(false);
        foreach (var finding in report.Findings)
        {
            findings.Add(new GateFinding("audit", finding.RuleId, finding.Severity.ToWire(), finding.Message, Relative(finding.ArtifactPath, work)));
        }

        return report.Verdict.ToWire();
    }

    private static string Relative(string path, string work)
    {
        var model = Path.Combine(work, "model") + Path.DirectorySeparatorChar;
        return path.StartsWith(model, StringComparison.Ordinal) ? path[model.Length..]
            : path.StartsWith(work + Path.DirectorySeparatorChar, StringComparison.Ordinal) ? path[(work.Length + 1)..]
            : path;
    }

    /// <summary>Serialises findings for the version row.</summary>
    public static string ToJson(IReadOnlyList<GateFinding> findings) => JsonSerializer.Serialize(findings, JsonOptions);

    public static IReadOnlyList<GateFinding> FromJson(string? json) =>
        json is null ? [] : JsonSerializer.Deserialize<List<GateFinding>>(json, JsonOptions) ?? [];

    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web);
}
