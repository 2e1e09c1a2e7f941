namespace Rampart.Data.Reading;

/// <summary>One data row: its 0-based index among the data rows, the 1-based line (or record) it started on, and its values (null = missing).</summary>
public sealed record DataRow(long Index, long Line, string?[] Values);

/// <summary>A malformed row that was skipped, or a problem with the whole file (line 0).</summary>
public sealed record ReadIssue(long Line, string Message);
