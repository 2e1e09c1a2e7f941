namespace Rampart.Core.Policy;

/// <summary>
/// The policy's demand that scanned model folders carry a valid OpenSSF Model Signing signature.
/// </summary>
/// <param name="SignedBy">Absolute path of the trusted public key (PEM) or CA certificate(s) (PEM).</param>
/// <param name="SignatureFile">The signature's file name inside each model folder (model.sig by default).</param>
/// <param name="Serialization">When set, the serialization the signature must record ("files" or "shards").</param>
public sealed record SignatureRequirement(string SignedBy, string SignatureFile = SignatureRequirement.DefaultSignatureFile, string? Serialization = null)
{
    public const string DefaultSignatureFile = "model.sig";
}

public sealed partial record ScanPolicy
{
    /// <summary>Set by "require: signed-by:"; null when the policy does not require signatures.</summary>
    public SignatureRequirement? RequireSignature { get; init; }
}
