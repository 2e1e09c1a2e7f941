using System.Text;
using Rampart.Provenance.Checkpoints;
using Rampart.Provenance.Signing;

namespace Rampart.Provenance.Tests.Checkpoints;

/// <summary>
/// Checkpoints against standard signed-note tooling: Go's golang.org/x/mod/sumdb/note reference vector (Ed25519 is
/// deterministic, so the same key must give the same signature byte for byte), and signed_note.py, an independent
/// verifier and signer written from the C2SP specifications with Python's `cryptography`, in both directions.
/// </summary>
public sealed class NoteInteropTests : IDisposable
{
    // The example of golang.org/x/mod/sumdb/note's package documentation.
    private const string GoSignerKey = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
    private const string GoVerifierKey = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
    private const string GoText = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
    private const string GoSignatureLine = "\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";

    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void GoReferenceKey_SignsByteForByteAsGo()
    {
        using var signer = NoteSigner.FromText(GoSignerKey, "unused");
        signer.Name.Should().Be("PeterNeumann");
        signer.VerifierKey.Should().Be(GoVerifierKey);
        var blob = new byte[4 + 64];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(blob, signer.KeyId);
        signer.Sign(Encoding.UTF8.GetBytes(GoText)).CopyTo(blob, 4);
        $"\u2014 {signer.Name} {Convert.ToBase64String(blob)}\n".Should().Be(GoSignatureLine);
    }

    [Fact]
    public void GoReferenceVerifierKey_ChecksTheGoSignature()
    {
        var key = NoteKeys.PublicKeyFromText(GoVerifierKey);
        var signature = Convert.FromBase64String(GoSignatureLine.Split(' ')[2].TrimEnd('\n'));
        var id = System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(signature);
        NoteKeys.Verify(key, "PeterNeumann", id, Encoding.UTF8.GetBytes(GoText), signature.AsSpan(4)).Should().BeTrue();
        NoteKeys.Verify(key, "PeterNeumann", id, Encoding.UTF8.GetBytes(GoText.Replace("problem,", "problem;", StringComparison.Ordinal)), signature.AsSpan(4)).Should().BeFalse();
        NoteKeys.Verify(key, "PaulNeumann", id, Encoding.UTF8.GetBytes(GoText), signature.AsSpan(4)).Should().BeFalse("the key id binds the name");
    }

    [Theory]
    [InlineData("PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW")]
    [InlineData("PeterNeumann+c74f20a3+AhpczQcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW")]
    [InlineData("PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10")]
    [InlineData("Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW")]
    [InlineData("PeterNeumann+c74f20a3")]
    public void VerifierKey_Mangled_IsRejected(string vkey)
    {
        var act = () => NoteKeys.ParseVerifierKey(vkey);
        act.Should().Throw<ProvenanceException>();
    }

    [NoteToolFact]
    public async Task Ed25519Checkpoint_FromALedger_VerifiesWithTheIndependentTool()
    {
        using var writer = LedgerSigner.Generate("writer");
        await using var ledger = await LedgerTestKit.NewSqliteAsync(_folder.Path, writer, 7);
        using var key = NoteSigner.GenerateEd25519("test.example/ledger-key");
        var checkpoint = await ledger.CreateCheckpointAsync(key);
        var (code, output) = await NoteTool.VerifyAsync(_folder, key.VerifierKey, checkpoint.ToNote());
        code.Should().Be(0, output);
        output.Trim().Should().Be($"ok test.example/ledger 7 {Convert.ToHexStringLower(await ledger.GetRootAsync(7))}");
        (await ledger.VerifyAsync()).Problems.Should().BeEmpty("the stored Ed25519 checkpoint verifies in Rampart too");
    }

    [NoteToolFact]
    public async Task Ed25519Checkpoint_Altered_IsRejectedByTheIndependentTool()
    {
        using var key = NoteSigner.GenerateEd25519("test.example/k");
        using var other = NoteSigner.GenerateEd25519("test.example/k");
        var note = Checkpoint.Create("test.example/log", 12, new byte[32], key).ToNote();
        foreach (var (vkey, text) in new[]
        {
            (key.VerifierKey, note.Replace("\n12\n", "\n13\n", StringComparison.Ordinal)),
            (other.VerifierKey, note),
            (key.VerifierKey, note.Replace("\u2014 test.example/k ", "\u2014 test.example/j ", StringComparison.Ordinal)),
        })
        {
            var (code, output) = await NoteTool.VerifyAsync(_folder, vkey, text);
            code.Should().Be(1, output);
            output.Should().StartWith("invalid:");
        }
    }

    [NoteToolFact]
    public async Task CheckpointSignedByTheIndependentTool_VerifiesInRampart()
    {
        var root = Convert.ToBase64String(System.Security.Cryptography.SHA256.HashData("x"u8));
        foreach (var body in new[] { $"example.com/log\n5\n{root}\n", $"example.com/log\n0\n{root}\nextension line\n" })
        {
            var (note, vkey) = await NoteTool.SignAsync(_folder, "example.com/witness", body);
            var checkpoint = Checkpoint.Parse(note);
            checkpoint.Origin.Should().Be("example.com/log");
            checkpoint.Body.Should().Be(body);
            checkpoint.IsSignedBy(NoteKeys.PublicKeyFromText(vkey)).Should().BeTrue();
            using var stranger = NoteSigner.GenerateEd25519("example.com/witness");
            checkpoint.IsSignedBy(stranger.PublicKey).Should().BeFalse();
            Checkpoint.Parse(note.Replace("example.com/log\n", "example.com/fog\n", StringComparison.Ordinal)).IsSignedBy(NoteKeys.PublicKeyFromText(vkey)).Should().BeFalse();
        }
    }
}

/// <summary>Runs signed_note.py with a Python that has the `cryptography` package (Debian's first).</summary>
internal static class NoteTool
{
    private static readonly Lazy<(string? Python, string? Skip)> Probe = new(() =>
    {
        foreach (var python in new[] { "/usr/bin/python3", "python3" })
        {
            try
            {
                var (code, _) = Run(python, ["-c", "import cryptography.hazmat.primitives.asymmetric.ed25519"]);
                if (code == 0)
                {
                    return (python, null);
                }
            }
            catch (System.ComponentModel.Win32Exception)
            {
            }
        }

        return (null, "no python3 with the 'cryptography' package (Debian: apt-get install python3-cryptography)");
    });

    public static string? SkipReason => Probe.Value.Skip;

    private static string Script => Path.Combine(AppContext.BaseDirectory, "Checkpoints", "signed_note.py");

    public static async Task<(int Code, string Output)> VerifyAsync(TempFolder folder, string vkey, string note)
    {
        var (vkeyFile, noteFile) = (folder.File($"{Guid.NewGuid():N}.vkey"), folder.File($"{Guid.NewGuid():N}.note"));
        await File.WriteAllTextAsync(vkeyFile, vkey + "\n");
        await File.WriteAllTextAsync(noteFile, note);
        return Run(Probe.Value.Python!, [Script, "verify", vkeyFile, noteFile]);
    }

    public static async Task<(string Note, string VerifierKey)> SignAsync(TempFolder folder, string name, string text)
    {
        var id = Guid.NewGuid().ToString("N");
        var (textFile, noteFile, vkeyFile) = (folder.File(id + ".txt"), folder.File(id + ".note"), folder.File(id + ".vkey"));
        await File.WriteAllTextAsync(textFile, text);
        var (code, output) = Run(Probe.Value.Python!, [Script, "sign", name, textFile, noteFile, vkeyFile]);
        code.Should().Be(0, output);
        return (await File.ReadAllTextAsync(noteFile), (await File.ReadAllTextAsync(vkeyFile)).Trim());
    }

    private static (int Code, string Output) Run(string python, IReadOnlyList<string> arguments)
    {
        var (code, stdout, stderr) = PythonProcess.Run(python, arguments, 60_000);
        return (code, stdout + stderr);
    }
}

/// <summary>A fact that needs signed_note.py's Python.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class NoteToolFactAttribute : FactAttribute
{
    public NoteToolFactAttribute() => Skip = NoteTool.SkipReason;
}
