using Rampart.Core.IO;

namespace Rampart.Guard.Audit;

/// <summary>What <see cref="AuditVerifier.Verify"/> found: entries checked, and the first break in the chain.</summary>
public sealed record AuditVerification(long Entries, int Segments, string? Problem)
{
    public bool Ok => Problem is null;
}

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
