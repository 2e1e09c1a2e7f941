using Rampart.Core;
using Rampart.Core.Policy;
using Rampart.Integrity.Signing;
using Rampart.Scanning.Engine;
using Rampart.Scanning.IO;
using Rampart.Core.IO;

namespace Rampart.Scanning.Analyzers.Signatures;

/// <summary>
/// Checks OpenSSF Model Signing signatures during a scan (docs/formats/signatures.md). With a policy
/// "require: signed-by:" it runs on every folder named on the command line: the folder must hold the signature,
/// the signature must verify with the trusted key or CA, and every file must match it. Without that policy it runs
/// only on folders that carry a model.sig, and checks that the files still match what the signature lists (who
/// signed cannot be established without a trusted key, which the facts say). A lone model file named on the
/// command line is held to the same policy: its signature is "FILE.sig" beside it, else the policy's signature
/// file name in the same folder.
/// </summary>
internal sealed class SignatureFolderAnalyzer : IFolderAnalyzer
{
    private const string RuleInvalid = SignatureFindings.Invalid;

    public string Id => "signatures";

    public bool AcceptsSingleFileTargets => true;

    public bool CanAnalyze(FolderView folder, AnalysisContext context)
    {
        ArgumentNullException.ThrowIfNull(folder);
        ArgumentNullException.ThrowIfNull(context);
        if (folder.IsSingleFile)
        {
            return context.Policy.RequireSignature is not null;
        }

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
        if (folder.IsSingleFile)
        {
            return await VerifySingleFileAsync(folder, requirement!, result, cancellationToken).ConfigureAwait(false);
        }

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

        Record(result, verification, name);
        return result;
    }

    /// <summary>A model file named on the command line, under a signature requirement.</summary>
    private static async ValueTask<AnalysisResult> VerifySingleFileAsync(FolderView file, SignatureRequirement requirement, AnalysisResult result, CancellationToken cancellationToken)
    {
        var directory = Path.GetDirectoryName(file.FullPath) ?? ".";
        string[] candidates = [file.FullPath + ".sig", Path.Combine(directory, requirement.SignatureFile)];
        var signature = candidates.FirstOrDefault(c => File.Exists(c) && FileKind.Of(c) == FileKindValue.Regular);
        if (signature is null)
        {
            var names = $"'{Path.GetFileName(candidates[0])}' or '{requirement.SignatureFile}'";
            result.Report(RuleInvalid, $"the model file is not signed: no signature {names} beside it (the policy requires a signature by {requirement.SignedBy})",
                new FindingLocation(Detail: Path.GetFileName(candidates[0])), [new("name", Path.GetFileName(candidates[0]))], Severity.High);
            return result;
        }

        var trust = TrustFor(requirement.SignedBy);
        result.SetFact("trust", (trust is VerificationTrust.Certificates ? "certificate authority " : "public key ") + requirement.SignedBy);
        var options = new VerificationOptions { IsRegularFile = p => FileKind.Of(p) == FileKindValue.Regular };
        var verification = await ModelVerifier.VerifyAsync(file.FullPath, signature, trust, options, cancellationToken).ConfigureAwait(false);
        if (verification.SignedManifest is { } signed)
        {
            result.SetFact("subject", $"{signed.ModelName} sha256:{signed.RootDigestHex}");
        }

        Record(result, verification, Path.GetFileName(signature));
        return result;
    }

    private static void Record(AnalysisResult result, VerificationResult verification, string signatureName)
    {
        result.SetFact("checks", string.Join(", ", verification.Checks.Select(c => $"{c.Name}: {(c.Passed ? "ok" : "FAILED")}")));
        foreach (var problem in verification.Problems)
        {
            var detail = problem.Resource ?? signatureName;
            result.Report(SignatureFindings.RuleFor(problem.Kind), problem.Message, new FindingLocation(Detail: detail), [new("name", detail)]);
        }
    }

    /// <summary>A PEM holding a certificate names a CA (certificate method); anything else is read as a public key.</summary>
    private static VerificationTrust TrustFor(string signedBy)
    {
        string head;
        try
        {
            head = File.Exists(signedBy) && new FileInfo(signedBy).Length < 1 << 20 ? BoundedFile.ReadAllText(signedBy, 1 << 20) : "";
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
