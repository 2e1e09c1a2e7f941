using Rampart.Core;
using Rampart.Core.Policy;
using Rampart.Integrity.Signing;
using Rampart.Scanning.Engine;
using Rampart.Scanning.IO;

namespace Rampart.Scanning.Analyzers.Signatures;

/// <summary>
/// Checks OpenSSF Model Signing signatures during a scan (docs/formats/signatures.md). With a policy
/// "require: signed-by:" it runs on every folder named on the command line: the folder must hold the signature,
/// the signature must verify with the trusted key or CA, and every file must match it. Without that policy it runs
/// only on folders that carry a model.sig, and checks that the files still match what the signature lists (who
/// signed cannot be established without a trusted key, which the facts say).
/// </summary>
internal sealed class SignatureFolderAnalyzer : IFolderAnalyzer
{
    private const string RuleInvalid = SignatureFindings.Invalid;

    public string Id => "signatures";

    public int Version => 1;

    public bool CanAnalyze(FolderView folder, AnalysisContext context)
    {
        ArgumentNullException.ThrowIfNull(folder);
        ArgumentNullException.ThrowIfNull(context);
        return context.Policy.RequireSignature is not null
            ? folder.IsScanTarget
            : folder.Find(SignatureRequirement.DefaultSignatureFile) is not null;
    }

    public async ValueTask<AnalysisResult> AnalyzeAsync(FolderView folder, AnalysisContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(folder);
        ArgumentNullException.ThrowIfNull(context);
        var result = new AnalysisResult(Id, folder, context);
        var requirement = context.Policy.RequireSignature;
        var name = requirement?.SignatureFile ?? SignatureRequirement.DefaultSignatureFile;
        var signature = folder.Find(name);
        if (signature is null)
        {
            result.Report(RuleInvalid, $"the model folder is not signed: no signature file '{name}' (the policy requires a signature by {requirement?.SignedBy})",
                new FindingLocation(Detail: name), [new("name", name)], Severity.High);
            return result;
        }

        VerificationTrust trust = requirement is null ? new VerificationTrust.Unverified() : TrustFor(requirement.SignedBy);
        result.SetFact("trust", trust switch
        {
            VerificationTrust.PublicKey => "public key " + requirement!.SignedBy,
            VerificationTrust.Certificates => "certificate authority " + requirement!.SignedBy,
            _ => "unverified (no require: signed-by policy; the files are compared with the signature's list only)",
        });
        var options = new VerificationOptions
        {
            Files = [.. folder.AllFiles.Select(f => (f.RelativePath, f.FullPath, f.Length))],
            IsRegularFile = p => FileKind.Of(p) == FileKindValue.Regular,
        };
        var verification = await ModelVerifier.VerifyAsync(folder.FullPath, signature.FullPath, trust, options, cancellationToken).ConfigureAwait(false);
        if (verification.SignedManifest is { } signed)
        {
            result.SetFact("subject", $"{signed.ModelName} sha256:{signed.RootDigestHex}");
            result.SetFact("serialization", signed.Serialization.MethodName);
            result.SetFact("resources", signed.Resources.Length);
            if (requirement?.Serialization is { } wanted && wanted != signed.Serialization.MethodName)
            {
                result.Report(RuleInvalid, $"the signature records the '{signed.Serialization.MethodName}' serialization; the policy requires '{wanted}'",
                    new FindingLocation(Detail: name), [new("name", name)]);
            }
        }

        result.SetFact("checks", string.Join(", ", verification.Checks.Select(c => $"{c.Name}: {(c.Passed ? "ok" : "FAILED")}")));
        foreach (var problem in verification.Problems)
        {
            var detail = problem.Resource ?? name;
            result.Report(SignatureFindings.RuleFor(problem.Kind), problem.Message, new FindingLocation(Detail: detail), [new("name", detail)]);
        }

        return result;
    }

    /// <summary>A PEM holding a certificate names a CA (certificate method); anything else is read as a public key.</summary>
    private static VerificationTrust TrustFor(string signedBy)
    {
        string head;
        try
        {
            head = File.Exists(signedBy) && new FileInfo(signedBy).Length < 1 << 20 ? File.ReadAllText(signedBy) : "";
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            head = "";
        }

        return head.Contains("-----BEGIN CERTIFICATE-----", StringComparison.Ordinal)
            ? new VerificationTrust.Certificates([signedBy])
            : new VerificationTrust.PublicKey(signedBy);
    }
}
