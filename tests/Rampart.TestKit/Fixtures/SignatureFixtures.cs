using System.Security.Cryptography;
using System.Text;
using Rampart.Integrity.Hashing;
using Rampart.Integrity.Signing;

namespace Rampart.TestKit.Fixtures;

/// <summary>
/// Signed model folders for the RAMP-SIG rules, built in code: two files signed with a fresh P-256 key into
/// model.sig (OpenSSF Model Signing layout), then optionally altered after signing.
/// </summary>
public sealed class SignatureFixtures : IFixtureSource
{
    public IEnumerable<Fixture> Fixtures =>
    [
        Signed("sig/valid", _ => { }),
        Signed("sig/changed-file", folder => File.AppendAllText(Path.Combine(folder, "config.json"), " ")),
        Signed("sig/missing-file", folder => File.Delete(Path.Combine(folder, "tokenizer.txt"))),
        Signed("sig/extra-file", folder => File.WriteAllText(Path.Combine(folder, "extra.py"), "print('added after signing')\n")),
        Signed("sig/broken-bundle", folder => File.WriteAllText(Path.Combine(folder, "model.sig"), "{\"mediaType\": \"application/json\"}")),
        Signed("sig/inconsistent-statement", folder =>
        {
            // The statement claims a root digest its resources do not hash to.
            var bundle = SigstoreBundle.ReadFile(Path.Combine(folder, "model.sig"));
            var payload = Encoding.ASCII.GetString(bundle.Payload.AsSpan());
            var start = payload.IndexOf("\"sha256\": \"", StringComparison.Ordinal) + 11;
            var forged = payload[..start] + new string('0', 64) + payload[(start + 64)..];
            var altered = bundle with { Payload = [.. Encoding.ASCII.GetBytes(forged)] };
            File.WriteAllBytes(Path.Combine(folder, "model.sig"), altered.ToJson());
        }),
    ];

    /// <summary>Writes the signed folder "signed-model" (config.json, tokenizer.txt, model.sig) and returns its path.</summary>
    public static string WriteSignedModel(string directory, ECDsa key)
    {
        ArgumentNullException.ThrowIfNull(key);
        var folder = Path.Combine(directory, "signed-model");
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "config.json"), "{\"architectures\": [\"TinyModel\"], \"hidden_size\": 8}\n");
        File.WriteAllText(Path.Combine(folder, "tokenizer.txt"), "a\nb\nc\n");
        var manifest = ModelHasher.Hash(folder, new HashingOptions { IgnorePaths = ["model.sig"] }, CancellationToken.None);
        ModelSigner.Write(ModelSigner.SignWithKey(manifest, key), Path.Combine(folder, "model.sig"));
        return folder;
    }

    private static Fixture Signed(string id, Action<string> alter) => new(id, "signed-model", () => [])
    {
        Custom = directory =>
        {
            using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var folder = WriteSignedModel(directory, key);
            alter(folder);
            return folder;
        },
    };
}
