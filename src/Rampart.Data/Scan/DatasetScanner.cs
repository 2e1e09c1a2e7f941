using System.Collections.Immutable;
using System.Globalization;
using Rampart.Core;
using Rampart.Core.Reporting;
using Rampart.Data.Reading;

namespace Rampart.Data.Scan;

/// <summary>Everything one `data scan` learnt about a dataset.</summary>
public sealed record DatasetScanResult(
    string Path,
    string Format,
    long Rows,
    IReadOnlyList<ColumnStats> Columns,
    string? LabelColumn,
    IReadOnlyList<Finding> Findings,
    IReadOnlyList<string> Warnings,
    IReadOnlyList<PiiColumn> PersonalData,
    IReadOnlyList<LabelIssue> LabelIssues,
    LabelNoiseResult? LabelNoise,
    IReadOnlyList<TriggerCandidate> Triggers,
    string? Failure)
{
    public Verdict Verdict => Findings.Aggregate(Failure is null ? Verdict.Clean : Verdict.Inconclusive, (v, f) => v.Worst(f.Verdict));

    /// <summary>Finding counts by rule id, for a ledger record and the summary line.</summary>
    public ImmutableSortedDictionary<string, int> Counts =>
        Findings.GroupBy(f => f.RuleId, StringComparer.Ordinal).ToImmutableSortedDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);

    /// <summary>The personal-data result in the ledger's vocabulary: contains-pii, clean or not-scanned.</summary>
    public string PiiScan => Failure is not null ? "not-scanned" : PersonalData.Count > 0 || Findings.Any(f => f.RuleId == DataRules.Secret) ? "contains-pii" : "clean";

    /// <summary>A report for the Core reporters (json, sarif, console): one artifact, the dataset.</summary>
    public ScanReport ToReport(ToolInfo tool, DateTimeOffset startedAt, TimeSpan duration, Severity failOn, ImmutableArray<Finding>? kept = null, ImmutableArray<SuppressedFinding> suppressed = default, IEnumerable<string>? warnings = null)
    {
        ArgumentNullException.ThrowIfNull(tool);
        var findings = kept ?? [.. Findings];
        var facts = new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            ["format"] = Format,
            ["rows"] = Rows.ToString(CultureInfo.InvariantCulture),
            ["columns"] = string.Join(",", Columns.Select(c => $"{c.Name}:{c.Kind.ToString().ToLowerInvariant()}")),
            ["pii-scan"] = PiiScan,
        };
        if (LabelColumn is not null)
        {
            facts["label"] = LabelColumn;
        }

        if (LabelNoise is { Skipped: null } noise)
        {
            facts["label-noise-model-accuracy"] = noise.OutOfFoldAccuracy.ToString("0.###", CultureInfo.InvariantCulture);
        }

        var verdict = findings.Aggregate(Failure is null ? Verdict.Clean : Verdict.Inconclusive, (v, f) => v.Worst(f.Verdict));
        var artifact = new ArtifactReport(Path, null, [Format], File.Exists(Path) ? new FileInfo(Path).Length : null, ArtifactStatus.Scanned, verdict, null, facts.ToImmutableSortedDictionary(StringComparer.Ordinal));
        return new ScanReport(tool, startedAt, duration, [Path], failOn, [artifact], findings, suppressed.IsDefault ? [] : suppressed,
            [.. Warnings.Concat(warnings ?? [])], DataRules.Catalog);
    }
}

/// <summary>
/// `rampart data scan`: one streaming pass over every row (column profiles, personal data and secrets on the first
/// rows and a sample after, exact duplicates), then the row-level signals over the first rows held in memory
/// (near-duplicate texts, label noise, outliers, backdoor triggers). Every finding names the rows.
/// </summary>
public static class DatasetScanner
{
    private static readonly string[] LabelNames = ["label", "labels", "target", "class", "y", "category", "sentiment"];

    public static DatasetScanResult Scan(string path, DataScanOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(path);
        options ??= DataScanOptions.Default;
        using var source = DatasetReader.Open(path, options.Limits, options.Separator);
        var warnings = new List<string>();
        var pii = new PiiColumnClassifier();
        var window = new List<DataRow>();
        List<ColumnStats>? stats = null;
        ExactDuplicates? duplicates = null;
        var labelColumn = -1;
        long rows = 0;
        foreach (var row in source.ReadRows(cancellationToken))
        {
            if (stats is null)
            {
                stats = [];
                labelColumn = FindLabel(source.Columns, options.LabelColumn);
                duplicates = new ExactDuplicates(options.DuplicateTrackingRows, labelColumn);
            }

            var values = row.Values;
            if (values.Length > stats.Count)
            {
                for (var c = stats.Count; c < source.Columns.Count; c++)
                {
                    stats.Add(new ColumnStats(source.Columns[c]));
                    for (long k = 0; k < rows; k++)
                    {
                        stats[c].Add(null);
                    }
                }
            }

            var inspect = row.Index < options.DetectorRows || row.Index % options.DetectorStride == 0;
            for (var c = 0; c < stats.Count; c++)
            {
                var value = c < values.Length ? values[c] : null;
                stats[c].Add(value);
                if (inspect && value is { Length: >= 5 } && c != labelColumn && !IsPlainNumber(value))
                {
                    pii.Inspect(source.Columns[c], value, row.Index + 1, row.Line);
                }
            }

            duplicates!.Add(values, row.Index + 1, row.Line);
            if (window.Count < options.AnalysisRows)
            {
                window.Add(values.Length == stats.Count ? row : row with { Values = [.. values, .. new string?[stats.Count - values.Length]] });
            }

            rows++;
        }

        stats ??= [.. source.Columns.Select(c => new ColumnStats(c))];
        if (labelColumn < 0 && rows == 0)
        {
            labelColumn = FindLabel(source.Columns, options.LabelColumn);
        }

        if (options.LabelColumn is not null && labelColumn < 0)
        {
            throw new ArgumentException($"the label column '{options.LabelColumn}' is not in the dataset (columns: {string.Join(", ", source.Columns)})");
        }

        var findings = new List<Finding>();
        var label = labelColumn >= 0 ? source.Columns[labelColumn] : null;
        var f = new FindingFactory(path);
        if (source.Failure is { } failure)
        {
            findings.Add(f.Make(DataRules.Unreadable, $"The dataset could not be read to the end after {rows} rows: {failure}.", [], [], new() { ["reason"] = failure }));
        }

        if (source.Truncated)
        {
            warnings.Add($"only the first {options.Limits.MaxRows} rows were read (limit MaxRows)");
        }

        if (source.IssueCount > 0)
        {
            var issues = source.Issues;
            var list = string.Join("; ", issues.Take(10).Select(i => i.Line == 0 ? i.Message : $"line {i.Line} {i.Message}"));
            findings.Add(f.Make(DataRules.MalformedRows, $"{source.IssueCount} malformed row(s) were skipped: {list}{(source.IssueCount > 10 ? "; ..." : string.Empty)}.",
                [], [.. issues.Where(i => i.Line > 0).Select(i => i.Line)], new() { ["count"] = source.IssueCount.ToString(CultureInfo.InvariantCulture) }));
        }

        if (rows > options.DetectorRows)
        {
            warnings.Add($"personal data and secrets: every cell of the first {options.DetectorRows} rows was inspected, then one row in {options.DetectorStride}");
        }

        var personal = pii.Columns(source.Columns);
        foreach (var p in personal)
        {
            var severity = p.Confidence >= 0.8 ? Severity.High : Severity.Medium;
            findings.Add(f.Make(DataRules.PersonalData,
                string.Create(CultureInfo.InvariantCulture, $"Column '{p.Column}' holds {p.Kind.Replace('-', ' ')} (confidence {p.Confidence:0.00}): {string.Join("; ", p.Evidence)}. Samples: {string.Join(", ", p.Samples)}."),
                p.Rows, p.Lines, new() { ["column"] = p.Column, ["kind"] = p.Kind, ["confidence"] = p.Confidence.ToString("0.###", CultureInfo.InvariantCulture), ["hits"] = p.Hits.ToString(CultureInfo.InvariantCulture), ["name"] = p.Kind }, severity));
        }

        foreach (var s in pii.Secrets)
        {
            findings.Add(f.Make(DataRules.Secret, $"Column '{s.Column}' holds a {s.Title} ({s.Redacted}) in {s.Hits} row(s).", s.Rows, s.Lines,
                new() { ["column"] = s.Column, ["name"] = s.PatternId, ["hits"] = s.Hits.ToString(CultureInfo.InvariantCulture) }));
        }

        if (duplicates is not null)
        {
            if (duplicates.Saturated)
            {
                warnings.Add($"exact duplicates: only copies of the first {options.DuplicateTrackingRows} distinct rows were recognised");
            }

            AddDuplicates(f, findings, duplicates, labelColumn >= 0);
        }

        if (rows > options.AnalysisRows)
        {
            warnings.Add($"near duplicates, label noise, outliers and triggers: computed over the first {options.AnalysisRows} rows of {rows}");
        }

        var numeric = stats.Select((s, i) => (Index: i, s.Name, s.Kind)).Where(c => c.Index != labelColumn && c.Kind == ColumnKind.Numeric && !IsIdentifier(stats[c.Index], rows)).Select(c => (c.Index, c.Name)).ToList();
        var text = stats.Select((s, i) => (Index: i, s.Name, s.Kind)).Where(c => c.Index != labelColumn && c.Kind == ColumnKind.Text).Select(c => (c.Index, c.Name)).ToList();
        var categorical = stats.Select((s, i) => (Index: i, s.Name, s.Kind)).Where(c => c.Index != labelColumn && c.Kind == ColumnKind.Categorical).Select(c => (c.Index, c.Name)).ToList();

        AddNearDuplicates(f, findings, window, text, labelColumn, options);
        foreach (var o in RowSignals.Outliers(window, numeric))
        {
            findings.Add(f.Make(DataRules.Outliers,
                string.Create(CultureInfo.InvariantCulture, $"Column '{o.Column}' has {o.Count} outlying value(s) (robust z above {RowSignals.OutlierZ}; median {RowSignals.Number(o.Median)}): {string.Join(", ", o.Rows.Take(8).Select(r => $"row {r.Row} = {r.Value} (z {r.Z})"))}."),
                [.. o.Rows.Select(r => r.Row)], [.. o.Rows.Select(r => r.Line)], new() { ["column"] = o.Column, ["count"] = o.Count.ToString(CultureInfo.InvariantCulture) }));
        }

        LabelNoiseResult? noise = null;
        IReadOnlyList<TriggerCandidate> triggers = [];
        if (labelColumn >= 0)
        {
            triggers = RowSignals.Triggers(window, labelColumn, text, [.. numeric, .. categorical]);
            foreach (var t in triggers)
            {
                findings.Add(f.Make(DataRules.BackdoorTrigger,
                    string.Create(CultureInfo.InvariantCulture, $"{string.Join(" and ", t.Features)}: {t.Support} row(s), {t.Purity:P0} labelled '{t.Label}' against a base rate of {t.BaseRate:P0} (z {t.Z}); rows {Rows(t.Rows, t.Support)}."),
                    t.Rows, t.Lines, new() { ["label"] = t.Label, ["trigger"] = string.Join(" | ", t.Features), ["support"] = t.Support.ToString(CultureInfo.InvariantCulture), ["purity"] = t.Purity.ToString("0.###", CultureInfo.InvariantCulture) }));
            }

            if (options.LabelNoise)
            {
                var training = window.Take(options.LabelNoiseRows).ToList();
                noise = LabelNoiseFinder.Find(training, labelColumn, [.. numeric.Select(c => c.Index)], [.. text.Select(c => c.Index)], options.Folds, options.Seed, cancellationToken);
                if (noise.Skipped is { } why)
                {
                    warnings.Add($"label noise not estimated: {why}");
                }
                else if (noise.Issues.Count > 0)
                {
                    var top = noise.Issues.Take(100).ToList();
                    findings.Add(f.Make(DataRules.LabelNoise,
                        string.Create(CultureInfo.InvariantCulture, $"{noise.Issues.Count} of {noise.Examples} labelled rows are label-noise candidates (out-of-fold accuracy of the model {noise.OutOfFoldAccuracy:P1}); most suspicious: {string.Join(", ", top.Take(10).Select(LabelNoiseFinder.Describe))}."),
                        [.. top.Select(i => i.Row)], [.. top.Select(i => i.Line)], new() { ["count"] = noise.Issues.Count.ToString(CultureInfo.InvariantCulture), ["suggested"] = string.Join(",", top.Select(i => $"{i.Row}:{i.Likely}")) }));
                }
            }
        }
        else
        {
            warnings.Add("no label column (give --label): label noise, conflicting labels and triggers were not checked");
        }

        return new DatasetScanResult(path, source.Format, rows, stats, label, findings, warnings, personal, noise?.Issues ?? [], noise, triggers, source.Failure);
    }

    private static void AddDuplicates(FindingFactory f, List<Finding> findings, ExactDuplicates duplicates, bool labelled)
    {
        var groups = duplicates.Groups();
        var conflicting = groups.Where(g => g.Labels.Count > 1).ToList();
        foreach (var g in conflicting.Take(50))
        {
            findings.Add(f.Make(DataRules.ConflictingLabels,
                $"Rows {Rows(g.Rows, g.Count)} have the same inputs but the labels {string.Join(", ", g.Labels.Select(l => $"'{l}'"))}.",
                g.Rows, g.Lines, new() { ["labels"] = string.Join(",", g.Labels), ["kind"] = "exact" }));
        }

        var plain = groups.Where(g => !labelled || g.Labels.Count <= 1).ToList();
        if (plain.Count > 0)
        {
            var copies = plain.Sum(g => g.Count - 1);
            var rows = plain.SelectMany(g => g.Rows.Skip(1)).Take(100).ToList();
            findings.Add(f.Make(DataRules.ExactDuplicates,
                $"{copies} row(s) repeat earlier rows exactly ({plain.Count} group(s)): {string.Join("; ", plain.Take(8).Select(g => $"rows {Rows(g.Rows.Skip(1).ToList(), g.Count - 1)} repeat row {g.Rows[0]}"))}.",
                rows, [.. plain.SelectMany(g => g.Lines.Skip(1)).Take(100)], new() { ["count"] = copies.ToString(CultureInfo.InvariantCulture), ["groups"] = plain.Count.ToString(CultureInfo.InvariantCulture) }));
        }
    }

    private static void AddNearDuplicates(FindingFactory f, List<Finding> findings, List<DataRow> window, List<(int Index, string Name)> text, int labelColumn, DataScanOptions options)
    {
        if (text.Count == 0)
        {
            return;
        }

        var near = new NearDuplicates(options.NearDuplicateThreshold, options.Seed);
        for (var i = 0; i < window.Count; i++)
        {
            var joined = string.Join(" ", text.Select(c => window[i].Values[c.Index] ?? string.Empty));
            if (joined.Length >= 20)
            {
                near.Add(i, joined);
            }
        }

        var clusters = near.Clusters();
        var plain = new List<IReadOnlyList<int>>();
        foreach (var cluster in clusters)
        {
            var labels = labelColumn < 0 ? [] : cluster.Select(i => window[i].Values[labelColumn] ?? string.Empty).Distinct(StringComparer.Ordinal).ToList();
            if (labels.Count > 1 && findings.Count(x => x.RuleId == DataRules.ConflictingLabels) < 50)
            {
                findings.Add(f.Make(DataRules.ConflictingLabels,
                    $"Near-duplicate texts in rows {Rows([.. cluster.Select(i => window[i].Index + 1)], cluster.Count)} carry the labels {string.Join(", ", labels.Select(l => $"'{l}'"))}.",
                    [.. cluster.Take(24).Select(i => window[i].Index + 1)], [.. cluster.Take(24).Select(i => window[i].Line)], new() { ["labels"] = string.Join(",", labels), ["kind"] = "near" }));
            }
            else
            {
                plain.Add(cluster);
            }
        }

        if (plain.Count > 0)
        {
            var rows = plain.SelectMany(c => c).Take(100).ToList();
            findings.Add(f.Make(DataRules.NearDuplicates,
                $"{plain.Sum(c => c.Count)} rows fall into {plain.Count} cluster(s) of near-duplicate text (estimated Jaccard at least {options.NearDuplicateThreshold.ToString(CultureInfo.InvariantCulture)}): {string.Join("; ", plain.Take(8).Select(c => "rows " + Rows([.. c.Select(i => window[i].Index + 1)], c.Count)))}.",
                [.. rows.Select(i => window[i].Index + 1)], [.. rows.Select(i => window[i].Line)], new() { ["clusters"] = plain.Count.ToString(CultureInfo.InvariantCulture) }));
        }
    }

    /// <summary>"3, 17, 42" with "and N more" when a list was cut.</summary>
    internal static string Rows(IReadOnlyList<long> rows, long total) =>
        string.Join(", ", rows.Take(12)) + (total > Math.Min(rows.Count, 12) ? $" and {total - Math.Min(rows.Count, 12)} more" : string.Empty);

    internal static int FindLabel(IReadOnlyList<string> columns, string? wanted)
    {
        if (wanted is not null)
        {
            return columns.ToList().FindIndex(c => string.Equals(c, wanted, StringComparison.Ordinal));
        }

        foreach (var name in LabelNames)
        {
            var i = columns.ToList().FindIndex(c => string.Equals(c, name, StringComparison.OrdinalIgnoreCase));
            if (i >= 0)
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>A numeric column that is a row identifier (every value distinct integers, or named id): not a feature.</summary>
    private static bool IsIdentifier(ColumnStats s, long rows) =>
        s.Name.Equals("id", StringComparison.OrdinalIgnoreCase) || s.Name.EndsWith("_id", StringComparison.OrdinalIgnoreCase)
        || (rows >= 20 && !s.Overflow && s.Values.Count == s.Present && s.Present == rows && s.Values.Keys.All(k => k.All(char.IsAsciiDigit)));

    private static bool IsPlainNumber(string value) => value.Length < 7 && ColumnStats.TryNumber(value, out _);

    internal sealed class FindingFactory(string path)
    {
        public Finding Make(string ruleId, string message, IReadOnlyList<long> rows, IReadOnlyList<long> lines, Dictionary<string, string> properties, Severity? severity = null)
        {
            var rule = DataRules.Catalog[ruleId];
            if (rows.Count > 0)
            {
                properties["rows"] = string.Join(",", rows.Take(100));
            }

            if (lines.Count > 0)
            {
                properties["lines"] = string.Join(",", lines.Take(100));
            }

            var location = lines.Count > 0 ? new FindingLocation(Line: (int)Math.Min(int.MaxValue, lines[0]), Detail: rows.Count > 0 ? $"row {rows[0]}" : $"line {lines[0]}") : FindingLocation.None;
            return new Finding(ruleId, severity ?? rule.Severity, rule.Verdict, message, path, location, properties.ToImmutableSortedDictionary(StringComparer.Ordinal));
        }
    }
}
