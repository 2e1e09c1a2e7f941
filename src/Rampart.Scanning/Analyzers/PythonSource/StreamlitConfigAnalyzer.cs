using System.Text;
using Rampart.Core;
using Rampart.Scanning.Engine;

namespace Rampart.Scanning.Analyzers.PythonSource;

/// <summary>
/// A Streamlit app's <c>.streamlit/config.toml</c>: <c>server.address</c> set to every interface (0.0.0.0, ::) is
/// RAMP-PY-013, as <c>uvicorn.run(host="0.0.0.0")</c> is in code. Reads only the keys it needs, line by line (the
/// <c>[server]</c> table, or a dotted <c>server.address</c> key); a value that is not a plain string is inconclusive.
/// </summary>
internal sealed class StreamlitConfigAnalyzer : IArtifactAnalyzer
{
    /// <summary>Larger configuration files are not read (limit reached, Inconclusive).</summary>
    public const int MaxConfigBytes = 1024 * 1024;

    private const string Rule = "RAMP-PY-013";

    public string Id => "streamlit-config";

    public bool CanAnalyze(Artifact artifact)
    {
        ArgumentNullException.ThrowIfNull(artifact);
        var path = artifact.Path.Replace('\\', '/');
        return path == ".streamlit/config.toml" || path.EndsWith("/.streamlit/config.toml", StringComparison.Ordinal);
    }

    public async ValueTask<AnalysisResult> AnalyzeAsync(Artifact artifact, AnalysisContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(artifact);
        ArgumentNullException.ThrowIfNull(context);
        var result = new AnalysisResult(Id, artifact, context);
        var bytes = await PythonSourceAnalyzer.ReadAllAsync(artifact, result, cancellationToken, MaxConfigBytes).ConfigureAwait(false);
        if (bytes is null)
        {
            return result;
        }

        var table = "";
        var lines = Encoding.UTF8.GetString(bytes).Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].Trim();
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            if (line[0] == '[')
            {
                var close = line.IndexOf(']', StringComparison.Ordinal);
                table = close > 0 ? Key(line[1..close].Trim('[', ' ')) : "";
                continue;
            }

            var equals = line.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
            {
                continue;
            }

            var key = (table.Length == 0 ? "" : table + ".") + Key(line[..equals]);
            if (key != "server.address")
            {
                continue;
            }

            var at = new FindingLocation(Line: i + 1, Column: lines[i].IndexOf('=', StringComparison.Ordinal) + 2);
            if (StringValue(line[(equals + 1)..].Trim()) is not { } address)
            {
                result.Inconclusive($"server.address is not a plain TOML string: {Shorten(line[(equals + 1)..].Trim())}", at);
                continue;
            }

            result.SetFact("server-address", address);
            if (address is "0.0.0.0" or "::" or "[::]")
            {
                result.Report(Rule, $"Streamlit's server.address is '{address}': the app listens on every network interface, and anyone who can reach this machine can use it",
                    at, [new("name", "streamlit.server.address"), new("question", "New Streamlit app bound to all interfaces: should server.address be 127.0.0.1 behind an authenticating proxy?")]);
            }
        }

        return result;
    }

    /// <summary>A TOML key: dotted parts, each bare or quoted, without spaces around the dots.</summary>
    private static string Key(string raw) =>
        string.Join('.', raw.Split('.').Select(part => part.Trim().Trim('"', '\'')));

    /// <summary>A basic ("...") or literal ('...') TOML string followed by nothing but a comment, or null.</summary>
    private static string? StringValue(string value)
    {
        if (value.Length < 2 || value[0] is not ('"' or '\''))
        {
            return null;
        }

        var end = value.IndexOf(value[0], 1);
        if (end < 0)
        {
            return null;
        }

        var rest = value[(end + 1)..].Trim();
        return rest.Length == 0 || rest[0] == '#' ? value[1..end] : null;
    }

    private static string Shorten(string s) => s.Length <= 40 ? s : s[..37] + "...";
}
