using Rampart.Text.Detection;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Rampart.Core;
using Rampart.Scanning.Analyzers.PythonSource;
using Rampart.Scanning.Engine;

namespace Rampart.Scanning.Analyzers.Notebook;

/// <summary>
/// Jupyter notebooks (nbformat 4, and the worksheets of nbformat 3): every code cell goes through the Python rules
/// with IPython magics and shell escapes blanked out first; unpinned `!pip install` / `%pip install` lines are
/// reported; saved outputs (streams, results, display data as text/plain and text/html, error tracebacks) are
/// searched for secrets and personal data, reported redacted. Locations are lines and columns of the notebook file
/// itself (each JSON string of a cell's "source" array sits on its own line), with "cell N, line L" as detail.
/// </summary>
internal sealed class NotebookAnalyzer : IArtifactAnalyzer
{
    /// <summary>Notebooks larger than this are not read (outputs can be huge).</summary>
    public const int MaxNotebookBytes = 32 * 1024 * 1024;

    /// <summary>At most this many findings from saved outputs per notebook; the rest is counted in a fact.</summary>
    public const int MaxOutputFindings = 200;

    private static readonly Regex PipInstall = new(
        @"^\s*(?:!|%)\s*(?:python3?\s+-m\s+)?(?:pip3?|uv\s+pip|conda|mamba)\s+install\s+(?<args>.*)$",
        RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));

    public string Id => "notebook";

    public bool CanAnalyze(Artifact artifact)
    {
        ArgumentNullException.ThrowIfNull(artifact);
        var head = artifact.Head.Span.TrimStart(" \t\r\n\uFEFF"u8);
        if (head.IsEmpty || head[0] != (byte)'{')
        {
            return false;
        }

        var hasCells = head.IndexOf("\"cells\""u8) >= 0 || head.IndexOf("\"worksheets\""u8) >= 0;
        return hasCells && (artifact.Name.EndsWith(".ipynb", StringComparison.OrdinalIgnoreCase)
            || head.IndexOf("\"nbformat\""u8) >= 0 || artifact.Tail.Span.IndexOf("\"nbformat\""u8) >= 0);
    }

    public async ValueTask<AnalysisResult> AnalyzeAsync(Artifact artifact, AnalysisContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(artifact);
        ArgumentNullException.ThrowIfNull(context);
        var result = new AnalysisResult(Id, artifact, context);
        var bytes = await PythonSourceAnalyzer.ReadAllAsync(artifact, result, cancellationToken, MaxNotebookBytes).ConfigureAwait(false);
        if (bytes is null)
        {
            return result;
        }

        NotebookDocument notebook;
        try
        {
            notebook = NotebookDocument.Read(bytes);
        }
        catch (JsonException e)
        {
            result.Inconclusive($"the notebook is not valid JSON: {e.Message}", new FindingLocation(Line: (int?)(e.LineNumber + 1)));
            return result;
        }
        catch (InvalidOperationException e)
        {
            // Utf8JsonReader.GetString on a string that is not valid UTF-8.
            result.Inconclusive($"the notebook is not valid UTF-8 JSON: {e.Message}");
            return result;
        }

        if (notebook.Cells.Count == 0 && notebook.Format is null)
        {
            result.MarkNotThisFormat();
            return result;
        }

        result.SetFact("nbformat", notebook.Format ?? "unknown");
        result.SetFact("cells", notebook.Cells.Count);
        result.SetFact("code-cells", notebook.Cells.Count(c => c.Type == "code"));
        var patterns = CodePatterns.Default;
        var parseErrors = 0;
        var outputFindings = 0;
        var skippedOutputFindings = 0;
        // The code cells share one namespace: they are parsed first, so that a helper defined in one cell is judged
        // with the values the other cells pass to it (PyCallers).
        var code = new Dictionary<NotebookCell, (ParsedSource Parsed, List<(int First, string Args)> Pips)>();
        foreach (var cell in notebook.Cells.Where(c => c.Type == "code"))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var pips = new List<(int First, string Args)>();
            code[cell] = (PythonRules.Parse(CellSource(cell, pips), cancellationToken), pips);
        }

        PyCallers.Link([.. code.Values.Select(c => c.Parsed.Facts)], oneNamespace: true);
        foreach (var cell in notebook.Cells)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var lines = cell.SourceLines;
            if (cell.Type == "code")
            {
                var (parsed, pips) = code[cell];
                foreach (var (first, args) in pips)
                {
                    ReportPip(result, patterns, cell, first, args);
                }

                var review = PythonRules.Run(parsed, patterns, context.Policy, artifact.Path, cancellationToken);
                parseErrors += review.ParseErrors;
                if (review.DepthLimitReached)
                {
                    result.LimitReached("max-syntax-depth", $"cell {cell.Number}: code nested deeper than {PyParser.MaxDepth} levels was not read");
                }

                if (review.SecretSearchStopped is { } stopped)
                {
                    result.LimitReached("pattern-match-time", $"cell {cell.Number}: the search for secrets stopped: {stopped}");
                }

                foreach (var hit in review.Hits)
                {
                    var (line, column) = cell.Map(hit.Line, hit.Column);
                    result.Report(hit.Rule, $"cell {cell.Number}, line {hit.Line}: {hit.Message}",
                        new FindingLocation(Line: line, Column: column, Detail: $"cell {cell.Number}, line {hit.Line}"),
                        hit.Properties.SetItem("cell", cell.Number.ToString(CultureInfo.InvariantCulture)));
                }
            }
            else
            {
                // Markdown and raw cells: secrets only.
                foreach (var hit in TextDetectors.FindSecrets(string.Concat(lines.Select(l => l.Text)), patterns.Secrets))
                {
                    var (line, column) = cell.Map(hit.Line, hit.Column);
                    result.Report(hit.Rule, $"cell {cell.Number} ({cell.Type}), line {hit.Line}: {hit.Title}: {hit.Redacted}",
                        new FindingLocation(Line: line, Column: column, Detail: $"cell {cell.Number}, line {hit.Line}"),
                        [new("name", hit.PatternId), new("redacted", hit.Redacted), new("cell", cell.Number.ToString(CultureInfo.InvariantCulture))]);
                }
            }

            foreach (var output in cell.Outputs)
            {
                // Secrets anywhere in the output; personal data only in what a reader sees (text, and HTML with its
                // markup, scripts and styles removed), once per value even when text/plain and text/html repeat it.
                var hits = PythonRules.Bounded(TextDetectors.FindSecrets(output.Text, patterns.Secrets), out var secretsStopped).Select(h => (h, Kind: "secret"))
                    .Concat(PythonRules.Bounded(TextDetectors.FindPii(output.VisibleText, patterns.Pii), out var piiStopped).Select(h => (h, Kind: "personal data")))
                    .DistinctBy(x => (x.h.Rule, x.h.PatternId, x.h.Redacted))
                    .ToList();
                if ((secretsStopped ?? piiStopped) is { } outputStopped)
                {
                    result.LimitReached("pattern-match-time", $"cell {cell.Number}: the search of its {output.Kind} output stopped: {outputStopped}",
                        new FindingLocation(Line: output.Line, Column: output.Column));
                }

                foreach (var (hit, kind) in hits)
                {
                    if (++outputFindings > MaxOutputFindings)
                    {
                        skippedOutputFindings++;
                        continue;
                    }

                    result.Report(hit.Rule, $"cell {cell.Number}: the saved {output.Kind} output contains {hit.Title.ToLowerInvariant()} ({kind}): {hit.Redacted}",
                        new FindingLocation(Line: output.Line, Column: output.Column, Detail: $"cell {cell.Number}, {output.Kind} output"),
                        [new("name", hit.PatternId), new("redacted", hit.Redacted), new("cell", cell.Number.ToString(CultureInfo.InvariantCulture)),
                            new("question", patterns.Questions.GetValueOrDefault(hit.Rule, ""))]);
                }
            }
        }

        result.SetFact("parse-errors", parseErrors);
        if (skippedOutputFindings > 0)
        {
            result.SetFact("output-findings-not-reported", skippedOutputFindings);
        }

        return result;
    }

    /// <summary>Options of pip/conda install that take the next word as their value (a file, URL or channel).</summary>
    private static readonly HashSet<string> OptionsWithValue = new(StringComparer.Ordinal)
    {
        "-r", "--requirement", "-c", "--constraint", "-e", "--editable", "-i", "--index-url", "--extra-index-url", "-f", "--find-links",
        "--channel", "-t", "--target", "--prefix", "--root", "--src", "--upgrade-strategy", "--platform", "--python-version",
        "--implementation", "--abi", "--progress-bar", "--cache-dir", "--log", "--proxy", "--timeout", "--retries", "--trusted-host",
        "--no-binary", "--only-binary", "-n", "--name", "-p", "--python",
    };

    /// <summary>
    /// The Python of a code cell, line for line: magic and shell lines (and a cell magic's whole cell) become empty
    /// lines; the pip commands among them are added to <paramref name="pips"/> (first line, arguments).
    /// </summary>
    private static string CellSource(NotebookCell cell, List<(int First, string Args)> pips)
    {
        var lines = cell.SourceLines;
        var code = new StringBuilder();
        var cellMagic = lines.Count > 0 && lines[0].Text.TrimStart().StartsWith("%%", StringComparison.Ordinal);
        for (var i = 0; i < lines.Count; i++)
        {
            var text = lines[i].Text.TrimEnd('\n', '\r');
            var trimmed = text.TrimStart();
            var isMagic = trimmed.StartsWith('%') || trimmed.StartsWith('!') || trimmed.EndsWith('?') && !trimmed.Contains('#', StringComparison.Ordinal);
            // A magic or shell line continues on the next lines while it ends with a backslash (as IPython
            // joins them): the continuation lines are part of the command, not Python.
            var first = i;
            var command = text;
            while (isMagic && command.EndsWith('\\') && i + 1 < lines.Count)
            {
                code.Append('\n');
                i++;
                command = command[..^1] + " " + lines[i].Text.TrimEnd('\n', '\r');
            }

            if (PipInstall.Match(command) is { Success: true } pip)
            {
                pips.Add((first, pip.Groups["args"].Value));
            }

            code.Append(cellMagic || isMagic ? "" : text).Append('\n');
        }

        return code.ToString();
    }

    private static void ReportPip(AnalysisResult result, CodePatterns patterns, NotebookCell cell, int index, string args)
    {
        var unpinned = new List<string>();
        var tokens = args.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
        for (var i = 0; i < tokens.Length; i++)
        {
            var t = tokens[i].Trim('"', '\'');
            if (t.StartsWith('#') || t is "&&" or ";" or "|" or "||")
            {
                break;
            }

            // "-r FILE", and grouped short options whose last letter takes the value: "-qr FILE", "-Ur FILE".
            if (OptionsWithValue.Contains(t) || (t.Length > 2 && t[0] == '-' && t[1] != '-' && !t.Contains('=', StringComparison.Ordinal) && t[^1] is 'r' or 'c' or 'e' or 'i' or 'f' or 't'))
            {
                i++;
                continue;
            }

            if (t.Length == 0 || t == "\\")
            {
                continue;
            }

            if (t.StartsWith('-') || t.StartsWith('$') || t.StartsWith('{') || t.Contains("==", StringComparison.Ordinal) || t.Contains('@', StringComparison.Ordinal)
                || t.Contains('/', StringComparison.Ordinal) || t.EndsWith(".whl", StringComparison.Ordinal) || t.EndsWith(".tar.gz", StringComparison.Ordinal) || t.Contains("===", StringComparison.Ordinal))
            {
                continue;
            }

            if (t.Contains('=', StringComparison.Ordinal) && !t.Contains(">=", StringComparison.Ordinal) && !t.Contains("<=", StringComparison.Ordinal) && !t.Contains("~=", StringComparison.Ordinal) && !t.Contains("!=", StringComparison.Ordinal))
            {
                continue; // conda's name=version pin
            }

            unpinned.Add(t);
        }

        if (unpinned.Count == 0)
        {
            return;
        }

        var (fileLine, column) = cell.Map(index + 1, 1);
        result.Report(patterns.PipRule,
            $"cell {cell.Number}, line {index + 1}: installs {string.Join(", ", unpinned)} without an exact version: each run may get different (or hijacked) code",
            new FindingLocation(Line: fileLine, Column: column, Detail: $"cell {cell.Number}, line {index + 1}"),
            [new("name", string.Join(",", unpinned)), new("cell", cell.Number.ToString(CultureInfo.InvariantCulture)), new("question", patterns.PipQuestion)]);
    }
}

/// <summary>One line of a cell's source and where its JSON string starts in the notebook file.</summary>
internal sealed record SourceLine(string Text, int FileLine, int FileColumn, bool OwnString);

/// <summary>
/// A saved output's text and the file position of its first string. <see cref="Text"/> is every text the output
/// stores (HTML as written); <see cref="VisibleText"/> is what a reader sees: text/plain, markdown and JSON, and
/// HTML reduced to its visible text (no tags, attributes, scripts or styles). Images and widget views are not text.
/// </summary>
internal sealed record CellOutput(string Kind, string Text, int Line, int Column)
{
    private static readonly Regex HiddenHtml = new(@"<(script|style|svg)\b[^>]*>.*?</\1\s*>|<!--.*?-->|<[^>]*>",
        RegexOptions.CultureInvariant | RegexOptions.IgnoreCase | RegexOptions.Singleline, TimeSpan.FromSeconds(2));

    public string VisibleText { get; init; } = Text;

    /// <summary>The visible text of an HTML fragment; cells of a table end up on one line, separated by tabs.</summary>
    public static string VisibleHtml(string html)
    {
        ArgumentNullException.ThrowIfNull(html);
        try
        {
            var text = HiddenHtml.Replace(html, m =>
                m.Value.StartsWith("</tr", StringComparison.OrdinalIgnoreCase) || m.Value.StartsWith("<br", StringComparison.OrdinalIgnoreCase) || m.Value.StartsWith("</p", StringComparison.OrdinalIgnoreCase) || m.Value.StartsWith("</div", StringComparison.OrdinalIgnoreCase) ? "\n"
                : m.Value.StartsWith("</t", StringComparison.OrdinalIgnoreCase) ? "\t" : " ");
            return System.Net.WebUtility.HtmlDecode(text);
        }
        catch (RegexMatchTimeoutException)
        {
            // Pathological markup: judge nothing of it as visible rather than everything.
            return "";
        }
    }
}

internal sealed class NotebookCell(int number, string type)
{
    public int Number { get; } = number;

    public string Type { get; set; } = type;

    public List<SourceLine> SourceLines { get; } = [];

    public List<CellOutput> Outputs { get; } = [];

    /// <summary>Cell line/column (1-based) to notebook file line/column.</summary>
    public (int Line, int Column) Map(int line, int column)
    {
        if (line < 1 || line > SourceLines.Count)
        {
            return SourceLines.Count > 0 ? (SourceLines[0].FileLine, SourceLines[0].FileColumn) : (1, 1);
        }

        var s = SourceLines[line - 1];
        // The column is exact when the line is its own JSON string and has no escapes before it.
        return s.OwnString ? (s.FileLine, s.FileColumn + column) : (s.FileLine, s.FileColumn);
    }
}

/// <summary>The parts of a notebook the analyzer needs, read with Utf8JsonReader so that positions are known.</summary>
internal sealed class NotebookDocument
{
    public List<NotebookCell> Cells { get; } = [];

    public string? Format { get; private set; }

    public static NotebookDocument Read(byte[] bytes)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        var lineStarts = new List<int> { 0 };
        for (var i = 0; i < bytes.Length; i++)
        {
            if (bytes[i] == (byte)'\n')
            {
                lineStarts.Add(i + 1);
            }
        }

        var doc = new NotebookDocument();
        var reader = new Utf8JsonReader(bytes, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip, MaxDepth = 64 });
        var path = new List<string>();
        string? pending = null;
        NotebookCell? cell = null;
        var outputStart = -1;
        var outputKind = "";
        var outputText = new StringBuilder();
        var outputVisible = new StringBuilder();
        var outputHtml = new StringBuilder();
        (int Line, int Column) outputPos = (1, 1);
        while (reader.Read())
        {
            switch (reader.TokenType)
            {
                case JsonTokenType.PropertyName:
                    pending = reader.GetString();
                    break;
                case JsonTokenType.StartObject:
                case JsonTokenType.StartArray:
                    path.Add(Key(path, pending));
                    pending = null;
                    if (reader.TokenType == JsonTokenType.StartObject && IsCell(path))
                    {
                        cell = new NotebookCell(doc.Cells.Count + 1, "code");
                        doc.Cells.Add(cell);
                    }
                    else if (reader.TokenType == JsonTokenType.StartObject && cell is not null && IsOutput(path))
                    {
                        outputStart = path.Count;
                        outputText.Clear();
                        outputVisible.Clear();
                        outputHtml.Clear();
                        outputKind = "";
                        outputPos = (0, 0);
                    }

                    break;
                case JsonTokenType.EndObject:
                case JsonTokenType.EndArray:
                    if (cell is not null && outputStart == path.Count && reader.TokenType == JsonTokenType.EndObject)
                    {
                        if (outputText.Length > 0)
                        {
                            outputVisible.Append('\n').Append(CellOutput.VisibleHtml(outputHtml.ToString()));
                            cell.Outputs.Add(new CellOutput(outputKind.Length == 0 ? "cell" : outputKind, outputText.ToString(), Math.Max(1, outputPos.Line), Math.Max(1, outputPos.Column))
                            {
                                VisibleText = outputVisible.ToString(),
                            });
                        }

                        outputStart = -1;
                    }

                    if (path.Count > 0)
                    {
                        path.RemoveAt(path.Count - 1);
                    }

                    if (IsCellsArrayOrAbove(path))
                    {
                        cell = null;
                    }

                    break;
                case JsonTokenType.String:
                case JsonTokenType.Number:
                {
                    var key = Key(path, pending);
                    pending = null;
                    if (path.Count == 1 && key == "nbformat")
                    {
                        doc.Format = reader.TokenType == JsonTokenType.Number ? reader.GetInt32().ToString(CultureInfo.InvariantCulture) : reader.GetString();
                    }

                    if (reader.TokenType != JsonTokenType.String || cell is null)
                    {
                        break;
                    }

                    var value = reader.GetString() ?? "";
                    var offset = (int)reader.TokenStartIndex;
                    var lineIndex = LineIndex(lineStarts, offset);
                    var pos = (Line: lineIndex + 1, Column: offset - lineStarts[lineIndex] + 1);
                    var inCell = RelativeToCell(path, key);
                    if (inCell == "cell_type")
                    {
                        cell.Type = value;
                    }
                    else if (inCell is "source" or "input" or "source/[]" or "input/[]")
                    {
                        var own = inCell.EndsWith("[]", StringComparison.Ordinal);
                        var parts = value.Split('\n');
                        for (var i = 0; i < parts.Length; i++)
                        {
                            if (i == parts.Length - 1 && parts[i].Length == 0)
                            {
                                break;
                            }

                            cell.SourceLines.Add(new SourceLine(parts[i] + (i < parts.Length - 1 ? "\n" : ""), pos.Line, pos.Column, own && parts.Length <= 2));
                        }
                    }
                    else if (outputStart >= 0 && inCell is not null && inCell.StartsWith("outputs/[]/", StringComparison.Ordinal))
                    {
                        var rest = inCell["outputs/[]/".Length..];
                        if (rest == "output_type")
                        {
                            outputKind = value;
                        }
                        else if (rest is "text" or "text/[]" or "traceback/[]" or "evalue" or "data/text/plain" or "data/text/plain/[]" or "data/text/html" or "data/text/html/[]"
                            or "data/text/markdown" or "data/text/markdown/[]" or "data/application/json" or "html" or "html/[]")
                        {
                            if (outputPos.Line == 0)
                            {
                                outputPos = pos;
                            }

                            var separator = value.EndsWith('\n') || rest.EndsWith("[]", StringComparison.Ordinal) ? "" : "\n";
                            outputText.Append(value).Append(separator);
                            (rest.StartsWith("data/text/html", StringComparison.Ordinal) || rest.StartsWith("html", StringComparison.Ordinal) ? outputHtml : outputVisible)
                                .Append(value).Append(separator);
                        }
                    }

                    break;
                }

                default:
                    pending = null;
                    break;
            }
        }

        return doc;
    }

    private static string Key(List<string> path, string? pending) => pending ?? (path.Count > 0 ? "[]" : "");

    /// <summary>cells/[] (v4) or worksheets/[]/cells/[] (v3).</summary>
    // path[0] is the root object; path[1] its property ("cells", "worksheets").
    private static bool IsCell(List<string> path) =>
        (path.Count == 3 && path[1] == "cells" && path[2] == "[]")
        || (path.Count == 5 && path[1] == "worksheets" && path[3] == "cells" && path[4] == "[]");

    private static bool IsCellsArrayOrAbove(List<string> path) =>
        path.Count <= 2 || (path.Count <= 4 && path[1] == "worksheets");

    private static int CellDepth(List<string> path) =>
        path.Count >= 3 && path[1] == "cells" ? 3 : path.Count >= 5 && path[1] == "worksheets" ? 5 : -1;

    private static bool IsOutput(List<string> path)
    {
        var d = CellDepth(path);
        return d > 0 && path.Count == d + 2 && path[d] == "outputs" && path[d + 1] == "[]";
    }

    /// <summary>The path of a value below its cell ("source/[]", "outputs/[]/data/text/plain"), or null outside cells.</summary>
    private static string? RelativeToCell(List<string> path, string key)
    {
        var d = CellDepth(path);
        if (d < 0 || path.Count < d)
        {
            return null;
        }

        var parts = path.Skip(d).Append(key);
        return string.Join('/', parts);
    }

    private static int LineIndex(List<int> starts, int offset)
    {
        var i = starts.BinarySearch(offset);
        return i >= 0 ? i : ~i - 1;
    }
}
