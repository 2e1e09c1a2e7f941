using System.Collections.Immutable;

namespace Rampart.Threats.Model;

/// <summary>What a component is in an ML system (docs/threats.md lists the YAML names).</summary>
public enum ComponentKind
{
    DataSource,
    FeatureStore,
    TrainingPipeline,
    ModelRegistry,
    ModelArtifact,
    ServingEndpoint,
    LlmApp,
    Notebook,

    /// <summary>A person or outside system that calls or feeds the system (a customer, a partner's service).</summary>
    Actor,
}

/// <summary>Who can reach a component; ordered from least to most exposed.</summary>
public enum Exposure
{
    Internal,
    Partner,
    Public,
}

/// <summary>What a model is: classic ML, a large language model, or pre-trained by a third party.</summary>
public enum ModelType
{
    Classic,
    Llm,
    ThirdParty,
}

/// <summary>The classes of data a component holds or a flow carries.</summary>
public enum DataClass
{
    Public,
    Internal,
    Confidential,
    Personal,
}

/// <summary>Where a definition sits in system.yaml, for messages and SARIF locations.</summary>
public sealed record SourceLine(int Line, int Column)
{
    public static SourceLine None { get; } = new(0, 0);

    public override string ToString() => $"{Line}:{Column}";
}

/// <summary>
/// Where to find the evidence Rampart checks mitigations against, relative to system.yaml's folder. Each entry is
/// optional; what is absent is "no evidence", never "passed".
/// </summary>
public sealed record EvidenceSources
{
    public static EvidenceSources None { get; } = new();

    /// <summary>A model file or folder: scanned with the scanner, and verified against <see cref="Signature"/>.</summary>
    public string? Model { get; init; }

    /// <summary>The model's signature bundle (default: model.sig inside the model folder).</summary>
    public string? Signature { get; init; }

    /// <summary>The public key the signature must verify with; without it only the digests are checked.</summary>
    public string? PublicKey { get; init; }

    /// <summary>A dataset file or folder, scanned with the scanner.</summary>
    public string? Dataset { get; init; }

    /// <summary>A JSON report of `rampart audit` (dependencies).</summary>
    public string? Audit { get; init; }

    /// <summary>A provenance ledger (`rampart ledger init`).</summary>
    public string? Ledger { get; init; }

    /// <summary>The gateway.yaml in front of this component.</summary>
    public string? Gateway { get; init; }

    /// <summary>The gateway routes that serve this component (default: every route).</summary>
    public ImmutableArray<string> Routes { get; init; } = [];

    /// <summary>The JSON summary of the last red-team run.</summary>
    public string? RedTeam { get; init; }

    public bool IsEmpty => this == None || (Model ?? Signature ?? PublicKey ?? Dataset ?? Audit ?? Ledger ?? Gateway ?? RedTeam) is null;
}

public sealed record Component(
    string Id,
    string Name,
    ComponentKind Kind,
    Exposure Exposure,
    ImmutableArray<DataClass> DataClasses,
    ImmutableArray<ModelType> ModelTypes,
    ImmutableArray<string> Tools,
    bool Retrieval,
    string? Boundary,
    string? Owner,
    EvidenceSources Evidence,
    SourceLine Line);

public sealed record Flow(string Id, string From, string To, string? Label, ImmutableArray<DataClass> DataClasses, SourceLine Line);

public sealed record TrustBoundary(string Id, string Name, SourceLine Line);

/// <summary>The people who own the assessment: one from security, one from data science.</summary>
public sealed record Owners(string Security, string DataScience);

/// <summary>The review this description belongs to: its date (due dates count from it) and its owners.</summary>
public sealed record Review(DateOnly Date, Owners Owners);

/// <summary>What the team decided to do about a risk.</summary>
public enum RiskDecision
{
    Mitigate,
    Accept,
    Transfer,
    Avoid,
}

/// <summary>
/// A scored risk set by hand: likelihood and/or impact replacing the defaults, with the reason and an owner from each
/// team (the joint assessment), and optionally a due date and a decision.
/// </summary>
public sealed record RiskOverride(
    string Threat,
    int? Likelihood,
    int? Impact,
    string Justification,
    Owners Owners,
    DateOnly? Due,
    RiskDecision Decision,
    SourceLine Line);

/// <summary>A person's statement that a mitigation Rampart cannot see is in place (counts as partial evidence).</summary>
public sealed record Attestation(string Mitigation, string? Component, string By, string Statement, SourceLine Line);

/// <summary>A system described in system.yaml (docs/threats.md).</summary>
public sealed record SystemModel(
    string Name,
    string? Description,
    Review Review,
    ImmutableArray<TrustBoundary> Boundaries,
    ImmutableArray<Component> Components,
    ImmutableArray<Flow> Flows,
    EvidenceSources Evidence,
    ImmutableArray<RiskOverride> Risks,
    ImmutableArray<Attestation> Attestations,
    string Source,
    string BaseDirectory)
{
    public Component? Find(string id) => Components.FirstOrDefault(c => c.Id == id);

    public Component Get(string id) => Find(id) ?? throw new KeyNotFoundException(id);

    /// <summary>Whether a flow crosses from one trust boundary to another (an unset boundary is a boundary of its own).</summary>
    public bool CrossesBoundary(Flow flow)
    {
        ArgumentNullException.ThrowIfNull(flow);
        return !string.Equals(Get(flow.From).Boundary, Get(flow.To).Boundary, StringComparison.Ordinal);
    }

    /// <summary>The components whose flows lead directly into <paramref name="id"/>.</summary>
    public IEnumerable<Component> Upstream(string id) => Flows.Where(f => f.To == id).Select(f => Get(f.From)).Distinct();
}
