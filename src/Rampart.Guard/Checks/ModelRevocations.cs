using System.Collections.Immutable;
using Rampart.Guard.Pipeline;

namespace Rampart.Guard.Checks;

/// <summary>The model version a route serves, as registered on the Rampart server: a digest, or an artifact and its version.</summary>
public sealed record ModelVersionRef(string? Artifact, string? Version, string? Digest)
{
    public override string ToString() => Digest ?? $"{Artifact}@{Version}";
}

/// <summary>One entry of a Rampart server's revocation list (docs/server.md, "Revocation contract for gateways").</summary>
public sealed record ModelRevocation(long Sequence, string Digest, string Artifact, string Version, string? Reason);

/// <summary>
/// The revocations a gateway has learnt so far (entries never change or disappear on the server, so the list only
/// grows), and the judgement of a model version against it: <see cref="GuardRuleIds.ModelRevoked"/> when it is on the
/// list, <see cref="GuardRuleIds.RevocationsStale"/> when the list has not been refreshed for longer than allowed (a
/// revocation could have been missed: fail closed).
/// </summary>
public sealed class ModelRevocations
{
    private readonly ImmutableDictionary<string, ModelRevocation> _byDigest;
    private readonly ImmutableDictionary<(string, string), ModelRevocation> _byVersion;

    private ModelRevocations(ImmutableDictionary<string, ModelRevocation> byDigest, ImmutableDictionary<(string, string), ModelRevocation> byVersion)
    {
        _byDigest = byDigest;
        _byVersion = byVersion;
    }

    public static ModelRevocations Empty { get; } = new(ImmutableDictionary<string, ModelRevocation>.Empty.WithComparers(StringComparer.Ordinal), ImmutableDictionary<(string, string), ModelRevocation>.Empty);

    public int Count => _byDigest.Count;

    public ModelRevocations Add(IEnumerable<ModelRevocation> revocations)
    {
        ArgumentNullException.ThrowIfNull(revocations);
        var digests = _byDigest.ToBuilder();
        var versions = _byVersion.ToBuilder();
        foreach (var revocation in revocations)
        {
            digests[revocation.Digest] = revocation;
            versions[(revocation.Artifact, revocation.Version)] = revocation;
        }

        return new ModelRevocations(digests.ToImmutable(), versions.ToImmutable());
    }

    /// <summary>
    /// Null when <paramref name="model"/> may be served; otherwise the signal that refuses it.
    /// <paramref name="sinceRefresh"/> is the time since the list was last brought up to date (null: never).
    /// </summary>
    public GuardSignal? Judge(ModelVersionRef model, TimeSpan? sinceRefresh, TimeSpan maxStaleness)
    {
        ArgumentNullException.ThrowIfNull(model);
        var hit = model.Digest is { } digest && _byDigest.TryGetValue(digest, out var byDigest) ? byDigest
            : model.Artifact is { } artifact && model.Version is { } version && _byVersion.TryGetValue((artifact, version), out var byVersion) ? byVersion
            : null;
        if (hit is not null)
        {
            return new GuardSignal(GuardRuleIds.ModelRevoked, 1, $"model {hit.Artifact} version {hit.Version} ({hit.Digest}) was revoked: {hit.Reason ?? "no reason given"}");
        }

        if (sinceRefresh is not { } age || age > maxStaleness)
        {
            var when = sinceRefresh is { } a ? $"{a.TotalSeconds:0} s ago" : "never";
            return new GuardSignal(GuardRuleIds.RevocationsStale, 1, $"the revocation list was last refreshed {when} (at most {maxStaleness.TotalSeconds:0} s allowed), so whether {model} is revoked is unknown");
        }

        return null;
    }
}
