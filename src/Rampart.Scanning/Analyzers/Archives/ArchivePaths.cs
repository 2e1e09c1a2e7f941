namespace Rampart.Scanning.Analyzers.Archives;

/// <summary>Judges member and link names of archives against extraction into a folder.</summary>
internal static class ArchivePaths
{
    /// <summary>Why extracting a member of this name escapes the target folder, or null when it does not.</summary>
    public static string? UnsafeReason(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (name.StartsWith('/') || name.StartsWith('\\'))
        {
            return "is an absolute path";
        }

        if (name.Length >= 2 && name[1] == ':' && char.IsAsciiLetter(name[0]))
        {
            return "starts with a drive letter";
        }

        return Escapes(name.Split('/', '\\')) ? "climbs out of the archive with '..'" : null;
    }

    /// <summary>True when walking the segments ever climbs above the starting folder.</summary>
    public static bool Escapes(IEnumerable<string> segments)
    {
        var depth = 0;
        foreach (var segment in segments)
        {
            if (segment == "..")
            {
                depth--;
                if (depth < 0)
                {
                    return true;
                }
            }
            else if (segment.Length > 0 && segment != ".")
            {
                depth++;
            }
        }

        return false;
    }

    /// <summary>Where a symbolic link member points, or null when the target stays inside the archive's folder.</summary>
    public static string? UnsafeLinkReason(string memberName, string target, bool symbolic)
    {
        ArgumentNullException.ThrowIfNull(memberName);
        ArgumentNullException.ThrowIfNull(target);
        if (UnsafeReason(target) is { } reason && !reason.StartsWith("climbs", StringComparison.Ordinal))
        {
            return $"points to '{target}', which {reason}";
        }

        // A symbolic link resolves from the folder holding it, a hard link from the archive root.
        var start = symbolic ? memberName.Split('/', '\\')[..^1] : [];
        return Escapes([.. start, .. target.Split('/', '\\')]) ? $"points to '{target}', outside the extraction folder" : null;
    }
}
