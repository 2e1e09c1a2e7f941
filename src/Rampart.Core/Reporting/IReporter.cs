namespace Rampart.Core.Reporting;

/// <summary>Writes a scan report in one output format.</summary>
public interface IReporter
{
    /// <summary>The value of --format that selects this reporter.</summary>
    string Format { get; }

    /// <summary>The conventional file extension, without the dot.</summary>
    string FileExtension { get; }

    ValueTask WriteAsync(ScanReport report, Stream output, CancellationToken cancellationToken);
}
