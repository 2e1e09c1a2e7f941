using Rampart.Core.IO;

namespace Rampart.Guard.Audit;

/// <summary>What <see cref="AuditVerifier.Verify"/> found: entries checked, and the first break in the chain.</summary>
public sealed record AuditVerification(long Entries, int Segments, string? Problem)
{
    public bool Ok => Problem is null;
}

/// <summary>A chain head recorded elsewhere (the provenance ledger): entry <see cref="Sequence"/> had hash <see cref="Hash"/>.</summary>
public sealed record AuditAnchorRef(long Sequence, string Hash, string Where);

/// <summary>Filters for <see cref="AuditVerifier.Query"/>; null means any.</summary>
public sealed record AuditQuery(string? Principal = null, DateTimeOffset? Since = null, string? Route = null, string? Rule = null);

/// <summary>Checks an audit log's hash chain and reads entries back.</summary>
public static class AuditVerifier
{
    public static AuditVerification Verify(string directory, AuditKey? key = null)
    {
        var segments = AuditLog.Segments(directory);
        long count = 0;
        long sequence = 0;
        var previous = new string('0', 64);
        foreach (var segment in segments)
        {
            var lineNumber = 0;
            foreach (var line in BoundedFile.ReadLines(segment))
            {
                lineNumber++;
                AuditEntry? entry;
                try
                {
                    entry = AuditCodec.Decode(line, key);
                }
                catch (InvalidDataException e)
                {
                    return new AuditVerification(count, segments.Count, $"{Path.GetFileName(segment)}:{lineNumber}: {e.Message}");
                }

                if (entry is null)
                {
                    continue;
                }

                if (entry.Previous != previous)
                {
                    return new AuditVerification(count, segments.Count, $"{Path.GetFileName(segment)}:{lineNumber}: entry {entry.Sequence} does not follow the entry before it (chain broken: removed, reordered or inserted entries)");
                }

                if (entry.Sequence != sequence + 1)
                {
                    return new AuditVerification(count, segments.Count, $"{Path.GetFileName(segment)}:{lineNumber}: sequence {entry.Sequence} after {sequence}");
                }

                if (AuditCodec.HashOf(entry) != entry.Hash)
                {
                    return new AuditVerification(count, segments.Count, $"{Path.GetFileName(segment)}:{lineNumber}: entry {entry.Sequence} was changed after it was written (hash mismatch)");
                }

                previous = entry.Hash;
                sequence = entry.Sequence;
                count++;
            }
        }

        return new AuditVerification(count, segments.Count, null);
    }

    /// <summary>
    /// Checks the chain (<see cref="Verify"/>) and that every anchor names an entry of it with the same hash: an anchor
    /// beyond the end means entries were cut off; a different hash means entries were rewritten (even with the chain
    /// recomputed). Returns the problems, none when the log agrees with every anchor.
    /// </summary>
    public static IReadOnlyList<string> VerifyAnchors(string directory, IEnumerable<AuditAnchorRef> anchors, AuditKey? key = null)
    {
        ArgumentNullException.ThrowIfNull(anchors);
        var chain = Verify(directory, key);
        if (!chain.Ok)
        {
            return [chain.Problem!];
        }

        var wanted = anchors.ToList();
        var bySequence = wanted.GroupBy(a => a.Sequence).ToDictionary(g => g.Key, g => g.ToList());
        var problems = new List<string>();
        var seen = new HashSet<long>();
        foreach (var entry in Query(directory, new AuditQuery(), key))
        {
            if (bySequence.TryGetValue(entry.Sequence, out var at))
            {
                seen.Add(entry.Sequence);
                problems.AddRange(at.Where(a => !string.Equals(a.Hash, entry.Hash, StringComparison.Ordinal))
                    .Select(a => $"entry {a.Sequence} has hash {entry.Hash[..16]}…, but {a.Where} anchored {a.Hash[..Math.Min(16, a.Hash.Length)]}…: the log was rewritten"));
            }
        }

        problems.AddRange(wanted.Where(a => !seen.Contains(a.Sequence))
            .Select(a => $"{a.Where} anchored entry {a.Sequence}, but the log has only {chain.Entries} entries: entries were removed from its end"));
        return problems;
    }

    public static IEnumerable<AuditEntry> Query(string directory, AuditQuery query, AuditKey? key = null)
    {
        ArgumentNullException.ThrowIfNull(query);
        foreach (var segment in AuditLog.Segments(directory))
        {
            foreach (var line in BoundedFile.ReadLines(segment))
            {
                if (AuditCodec.Decode(line, key) is not { } entry)
                {
                    continue;
                }

                if ((query.Principal is null || entry.Principal == query.Principal)
                    && (query.Since is null || entry.Time >= query.Since)
                    && (query.Route is null || entry.Route == query.Route)
                    && (query.Rule is null || entry.Rules.Contains(query.Rule, StringComparer.Ordinal)))
                {
                    yield return entry;
                }
            }
        }
    }
}
