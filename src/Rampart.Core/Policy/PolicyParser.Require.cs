using YamlDotNet.RepresentationModel;

namespace Rampart.Core.Policy;

public static partial class PolicyParser
{
    /// <summary>
    /// require:
    ///   signed-by: keys/model.pub      # public key or CA certificate PEM; relative to the policy file's folder
    ///   signature: model.sig           # optional: the signature's name inside each model folder
    ///   serialization: files           # optional: files or shards, what the signature must record
    /// </summary>
    static partial void ParseRequire(YamlMappingNode section, string source, ref ScanPolicy policy, ref bool handled)
    {
        handled = true;
        CheckKeys(section, ["signed-by", "signature", "serialization"], source, "require");
        if (Get(section, "signed-by") is not { } signedByNode)
        {
            throw Error(source, section, "require needs 'signed-by': the public key or CA certificate that model signatures must verify with");
        }

        var signedBy = Scalar(signedByNode, source);
        if (string.IsNullOrWhiteSpace(signedBy))
        {
            throw Error(source, signedByNode, "require.signed-by must be a path to a PEM public key or CA certificate");
        }

        var baseFolder = File.Exists(source) ? Path.GetDirectoryName(Path.GetFullPath(source)) : null;
        var fullPath = Path.IsPathRooted(signedBy) || baseFolder is null ? Path.GetFullPath(signedBy) : Path.GetFullPath(Path.Combine(baseFolder, signedBy));

        var signature = SignatureRequirement.DefaultSignatureFile;
        if (Get(section, "signature") is { } signatureNode)
        {
            signature = Scalar(signatureNode, source);
            if (string.IsNullOrWhiteSpace(signature) || signature.Contains("..", StringComparison.Ordinal) || Path.IsPathRooted(signature))
            {
                throw Error(source, signatureNode, $"require.signature must be a file name inside the model folder (got '{signature}')");
            }
        }

        string? serialization = null;
        if (Get(section, "serialization") is { } serializationNode)
        {
            serialization = Scalar(serializationNode, source);
            if (serialization is not ("files" or "shards"))
            {
                throw Error(source, serializationNode, $"require.serialization must be files or shards (got '{serialization}')");
            }
        }

        policy = policy with { RequireSignature = new SignatureRequirement(fullPath, signature.Replace('\\', '/'), serialization) };
    }
}
