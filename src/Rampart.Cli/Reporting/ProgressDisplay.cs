using System.Globalization;
using Rampart.Scanning.Engine;

namespace Rampart.Cli.Reporting;

/// <summary>
/// One self-overwriting progress line on standard error, shown only once a scan has run for a second or covers
/// many files, and at most ten times a second. The scan reports from several threads at once.
/// </summary>
internal sealed class ProgressDisplay(TextWriter error, TimeProvider time) : IProgress<ScanProgress>, IDisposable
{
    public static readonly TimeSpan ShowAfter = TimeSpan.FromSeconds(1);
    public const int ShowAtOnceFromFiles = 200;
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(100);

    private readonly Lock _lock = new();
    private readonly long _started = time.GetTimestamp();
    private long _lastShown = long.MinValue;
    private int _lastLength;

    public bool HasShown => _lastLength > 0;

    public void Report(ScanProgress value)
    {
        ArgumentNullException.ThrowIfNull(value);
        lock (_lock)
        {
            var now = time.GetTimestamp();
            if (time.GetElapsedTime(_started, now) < ShowAfter && value.FilesTotal < ShowAtOnceFromFiles)
            {
                return;
            }

            if (_lastShown != long.MinValue && time.GetElapsedTime(_lastShown, now) < Interval && value.FilesDone < value.FilesTotal)
            {
                return;
            }

            _lastShown = now;
            var percent = value.BytesTotal > 0 ? 100.0 * value.BytesDone / value.BytesTotal : 100.0;
            var line = string.Create(CultureInfo.InvariantCulture,
                $"scanning: {value.FilesDone}/{value.FilesTotal} files, {percent:0}% of {value.BytesTotal / (1024.0 * 1024.0):0.#} MiB {Shorten(value.Current)}");
            error.Write("\r" + line.PadRight(_lastLength));
            _lastLength = line.Length;
            error.Flush();
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            if (_lastLength > 0)
            {
                error.Write("\r" + new string(' ', _lastLength) + "\r");
                error.Flush();
            }
        }
    }

    private static string Shorten(string? path) =>
        path is null ? "" : path.Length <= 50 ? path : "..." + path[^47..];
}
