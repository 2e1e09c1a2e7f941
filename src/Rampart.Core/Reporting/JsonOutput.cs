using System.Globalization;
using System.Text.Json;

namespace Rampart.Core.Reporting;

/// <summary>What the JSON-based reporters share: one indented document, a final newline, UTC timestamps.</summary>
internal static class JsonOutput
{
    public static async ValueTask WriteDocumentAsync(Stream output, Action<Utf8JsonWriter> write, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(write);
        var writer = new Utf8JsonWriter(output, new JsonWriterOptions { Indented = true });
        await using (writer.ConfigureAwait(false))
        {
            write(writer);
            await writer.FlushAsync(cancellationToken).ConfigureAwait(false);
        }

        await output.WriteAsync("\n"u8.ToArray(), cancellationToken).ConfigureAwait(false);
        await output.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Hands what the writer has buffered to the stream once it passes 1 MiB, so that a report on hundreds of
    /// thousands of artifacts is streamed out instead of held in memory whole.
    /// </summary>
    public static void FlushIfLarge(Utf8JsonWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        if (writer.BytesPending > 1024 * 1024)
        {
            writer.Flush();
        }
    }

    /// <summary>ISO 8601 in UTC with milliseconds, e.g. 2026-11-22T04:30:08.211Z.</summary>
    public static string Timestamp(DateTimeOffset time) =>
        time.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
}
