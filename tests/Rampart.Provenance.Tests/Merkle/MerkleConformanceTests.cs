using System.Text.Json;
using Rampart.Provenance.Merkle;
using Rampart.TestKit;

namespace Rampart.Provenance.Tests.Merkle;

/// <summary>Every inclusion and consistency case of ../shared/testdata/merkle (transparency-dev/merkle) gives the expected answer.</summary>
public sealed class MerkleConformanceTests
{
    public static TheoryData<string> InclusionCases() => Cases("merkle/inclusion");

    public static TheoryData<string> ConsistencyCases() => Cases("merkle/consistency");

    public static TheoryData<string> SubtreeInclusionCases() => Cases("merkle/subtreeinclusion");

    [SharedDataTheory("merkle/inclusion")]
    [MemberData(nameof(InclusionCases))]
    public void VerifyInclusion_SharedCase_GivesExpectedAnswer(string relativePath)
    {
        using var document = Load("merkle/inclusion", relativePath);
        var root = document.RootElement;
        var ok = MerkleVerifier.VerifyInclusion(
            Index(root.GetProperty("leafIdx")),
            Index(root.GetProperty("treeSize")),
            Bytes(root, "leafHash"),
            Proof(root),
            Bytes(root, "root"));
        ok.Should().Be(!root.GetProperty("wantErr").GetBoolean(), root.GetProperty("desc").GetString());
    }

    [SharedDataTheory("merkle/consistency")]
    [MemberData(nameof(ConsistencyCases))]
    public void VerifyConsistency_SharedCase_GivesExpectedAnswer(string relativePath)
    {
        using var document = Load("merkle/consistency", relativePath);
        var root = document.RootElement;
        var ok = MerkleVerifier.VerifyConsistency(
            Index(root.GetProperty("size1")),
            Index(root.GetProperty("size2")),
            Proof(root),
            Bytes(root, "root1"),
            Bytes(root, "root2"));
        ok.Should().Be(!root.GetProperty("wantErr").GetBoolean(), root.GetProperty("desc").GetString());
    }

    [SharedDataTheory("merkle/subtreeinclusion")]
    [MemberData(nameof(SubtreeInclusionCases))]
    public void VerifySubtreeInclusion_SharedCase_GivesExpectedAnswer(string relativePath)
    {
        using var document = Load("merkle/subtreeinclusion", relativePath);
        var root = document.RootElement;
        var ok = MerkleVerifier.VerifySubtreeInclusion(
            Index(root.GetProperty("leafIdx")),
            Index(root.GetProperty("start")),
            Index(root.GetProperty("end")),
            Bytes(root, "leafHash"),
            Proof(root),
            Bytes(root, "root"));
        ok.Should().Be(!root.GetProperty("wantErr").GetBoolean(), root.GetProperty("desc").GetString());
    }

    [Fact]
    public void SharedCases_AreFound_WhenTheDataIsPresent()
    {
        if (SharedData.TryPath("merkle") is null)
        {
            return;
        }

        InclusionCases().Count.Should().BeGreaterThan(50);
        ConsistencyCases().Count.Should().BeGreaterThan(50);
        SubtreeInclusionCases().Count.Should().BeGreaterThan(50);
    }

    private static TheoryData<string> Cases(string folder)
    {
        var data = new TheoryData<string>();
        if (SharedData.TryPath(folder) is not { } path)
        {
            data.Add("(absent)");
            return data;
        }

        foreach (var file in Directory.EnumerateFiles(path, "*.json", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetRelativePath(path, file));
        }

        return data;
    }

    private static JsonDocument Load(string folder, string relativePath) =>
        JsonDocument.Parse(File.ReadAllBytes(Path.Combine(SharedData.Path(folder), relativePath)));

    // The cases use unsigned 64-bit numbers; one beyond long.MaxValue cannot be a real index and is passed as -1.
    private static long Index(JsonElement value) => value.GetUInt64() is var u && u <= long.MaxValue ? (long)u : -1;

    private static byte[] Bytes(JsonElement root, string name) =>
        root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? Convert.FromBase64String(value.GetString()!) : [];

    private static byte[][] Proof(JsonElement root) =>
        root.TryGetProperty("proof", out var proof) && proof.ValueKind == JsonValueKind.Array
            ? [.. proof.EnumerateArray().Select(p => Convert.FromBase64String(p.GetString()!))]
            : [];
}
