using System.Security.Cryptography;
using Rampart.TestKit;
using Rampart.TestKit.Fixtures;
using Rampart.Threats.Assessment;
using Rampart.Threats.Evidence;
using Rampart.Threats.Model;
using Rampart.Threats.Rules;

namespace Rampart.Threats.Tests;

/// <summary>Builds system descriptions and the artifacts they point at in a temporary folder.</summary>
internal sealed class SystemFolder : IDisposable
{
    private readonly TempDirectory _temp = new();

    public string Path => _temp.Path;

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public string Write(string name, string text)
    {
        var path = File(name);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        System.IO.File.WriteAllText(path, text);
        return path;
    }

    /// <summary>A signed model folder "signed-model" and the signer's public key "signer.pub".</summary>
    public (string Folder, string PublicKey) SignedModel()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var folder = SignatureFixtures.WriteSignedModel(Path, key);
        Write("signer.pub", key.ExportSubjectPublicKeyInfoPem());
        return (folder, File("signer.pub"));
    }

    public SystemModel Parse(string yaml) => SystemParser.Parse(yaml, File("system.yaml"), Path);

    public async Task<ThreatAssessment> AssessAsync(string yaml, DateTimeOffset? asOf = null)
    {
        var system = Parse(yaml);
        var time = new FixedTime(asOf ?? new DateTimeOffset(2026, 11, 20, 12, 0, 0, TimeSpan.Zero));
        var evidence = await new EvidenceCollector(time).CollectAsync(system, CancellationToken.None);
        return ThreatAssessor.Assess(system, evidence, ThreatRuleCatalog.Default, time.GetUtcNow());
    }

    public void Dispose() => _temp.Dispose();
}

internal sealed class FixedTime(DateTimeOffset now) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => now;
}

internal static class Yaml
{
    public const string Header = """
        system: Test system
        review: { date: 2026-11-20, security: sec-owner, dataScience: ds-owner }
        boundaries:
          - { id: inside, name: Inside }
          - { id: outside, name: Outside }

        """;

    public static Threat Threat(this ThreatAssessment assessment, string id) => assessment.Threats.Single(t => t.Id == id);

    public static MitigationResult Mitigation(this Threat threat, string id) => threat.KeyMitigations.Single(m => m.Mitigation.Id == id);
}
