using Rampart.Core;
using Rampart.Dependencies.Toml;
using Rampart.Scanning.IO;

namespace Rampart.Scanning.Engine;

/// <summary>
/// The engine's one catch ladder: how an exception that escaped an analyzer (file or folder) is judged. The same
/// error gets the same finding wherever it happens: limits are RAMP-GEN-002, malformed content (every format reader's
/// exception derives from <see cref="MalformedContentException"/>) is RAMP-GEN-001, a file that could not be read
/// (it vanished, access was denied) is RAMP-GEN-005, and anything else is a Rampart bug (RAMP-GEN-004). Every one
/// is Inconclusive: nothing that failed is ever called clean. Cancellation is not judged here; it propagates.
/// </summary>
internal static class AnalyzerFailures
{
    /// <summary>True for the exceptions <see cref="Judge"/> handles (all but cancellation).</summary>
    public static bool IsJudged(Exception exception) => exception is not OperationCanceledException;

    /// <summary>Records <paramref name="exception"/> on <paramref name="result"/> as the finding it deserves.</summary>
    public static void Judge(Exception exception, AnalysisResult result)
    {
        ArgumentNullException.ThrowIfNull(exception);
        ArgumentNullException.ThrowIfNull(result);
        var id = result.AnalyzerId;
        switch (exception)
        {
            case LimitExceededException limit:
                result.LimitReached(limit.LimitName, limit.Message);
                break;
            case MalformedContentException malformed:
                result.Inconclusive($"{id}: {malformed.Message}", malformed.Offset is { } offset ? FindingLocation.AtOffset(offset) : null);
                break;
            case TomlException or System.Text.Json.JsonException or InvalidDataException or EndOfStreamException:
                // Malformed content found by a library reader (TOML, JSON, deflate) or a read past the end.
                result.Inconclusive($"{id}: {exception.Message}");
                break;
            case IOException or UnauthorizedAccessException:
                result.Report(RuleIds.Unreadable, $"{id}: the file could not be read ({Describe(exception)}); it was not analysed");
                break;
            default:
                result.Report(RuleIds.AnalyzerFailure, $"the {id} analyzer failed ({exception.GetType().Name}: {exception.Message}); this is a Rampart bug, please report it");
                break;
        }
    }

    /// <summary>A file-system error in words: what happened, without the exception's type name.</summary>
    public static string Describe(Exception exception) => exception switch
    {
        FileNotFoundException or DirectoryNotFoundException => $"it no longer exists: {exception.Message}",
        UnauthorizedAccessException => $"access was denied: {exception.Message}",
        _ => exception.Message,
    };
}
