using System.Text;
using System.Text.Json;

namespace Rampart.TestKit;

/// <summary>
/// Builds a Jupyter notebook (nbformat 4) the way Jupyter saves it: one-space indentation, sorted keys, each source
/// line its own JSON string. Cells get outputs of any kind.
/// </summary>
public sealed class NotebookBuilder
{
    private static readonly JsonSerializerOptions Options = new() { WriteIndented = true, IndentSize = 1, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly List<Dictionary<string, object?>> _cells = [];

    public NotebookBuilder Code(string source, params object[] outputs)
    {
        _cells.Add(new Dictionary<string, object?>
        {
            ["cell_type"] = "code",
            ["execution_count"] = _cells.Count + 1,
            ["metadata"] = new Dictionary<string, object?>(),
            ["outputs"] = outputs.ToList(),
            ["source"] = Lines(source),
        });
        return this;
    }

    public NotebookBuilder Markdown(string source)
    {
        _cells.Add(new Dictionary<string, object?>
        {
            ["cell_type"] = "markdown",
            ["metadata"] = new Dictionary<string, object?>(),
            ["source"] = Lines(source),
        });
        return this;
    }

    public static object Stream(string text) => new Dictionary<string, object?>
    {
        ["name"] = "stdout",
        ["output_type"] = "stream",
        ["text"] = Lines(text),
    };

    public static object Result(string plain, string? html = null)
    {
        var data = new Dictionary<string, object?> { ["text/plain"] = Lines(plain) };
        if (html is not null)
        {
            data["text/html"] = Lines(html);
        }

        return new Dictionary<string, object?>
        {
            ["data"] = data,
            ["execution_count"] = 1,
            ["metadata"] = new Dictionary<string, object?>(),
            ["output_type"] = "execute_result",
        };
    }

    /// <summary>A display_data output with the given MIME bundle (text/html, image/png, application/vnd.jupyter.widget-view+json...).</summary>
    public static object Display(params (string Mime, object Value)[] bundle) => new Dictionary<string, object?>
    {
        ["data"] = bundle.ToDictionary(b => b.Mime, b => b.Value is string text && !b.Mime.StartsWith("image/", StringComparison.Ordinal) && !b.Mime.Contains("json", StringComparison.Ordinal) ? (object?)Lines(text) : b.Value),
        ["metadata"] = new Dictionary<string, object?>(),
        ["output_type"] = "display_data",
    };

    public static object Error(string name, string value, params string[] traceback) => new Dictionary<string, object?>
    {
        ["ename"] = name,
        ["evalue"] = value,
        ["output_type"] = "error",
        ["traceback"] = traceback.ToList(),
    };

    private static List<string> Lines(string text)
    {
        var lines = text.Split('\n');
        var result = new List<string>();
        for (var i = 0; i < lines.Length; i++)
        {
            if (i == lines.Length - 1)
            {
                if (lines[i].Length > 0)
                {
                    result.Add(lines[i]);
                }
            }
            else
            {
                result.Add(lines[i] + "\n");
            }
        }

        return result;
    }

    public string BuildText()
    {
        var notebook = new SortedDictionary<string, object?>(StringComparer.Ordinal)
        {
            ["cells"] = _cells.Select(c => new SortedDictionary<string, object?>(c, StringComparer.Ordinal)).ToList(),
            ["metadata"] = new Dictionary<string, object?> { ["kernelspec"] = new Dictionary<string, object?> { ["display_name"] = "Python 3", ["language"] = "python", ["name"] = "python3" } },
            ["nbformat"] = 4,
            ["nbformat_minor"] = 5,
        };
        var json = JsonSerializer.Serialize(notebook, Options);
        return json + "\n";
    }

    public byte[] Build() => Encoding.UTF8.GetBytes(BuildText());
}

/// <summary>Fake credentials of the right shape, generated so that no real-looking secret is written in the sources.</summary>
public static class FakeSecrets
{
    public const string Alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

    public static string Random(int seed, int length, string alphabet = Alnum)
    {
        ArgumentNullException.ThrowIfNull(alphabet);
        var state = (uint)(seed * 2654435761u) | 1u;
        var chars = new char[length];
        for (var i = 0; i < length; i++)
        {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            chars[i] = alphabet[(int)(state % (uint)alphabet.Length)];
        }

        return new string(chars);
    }

    public static string HuggingFace => "hf_" + Random(1, 34);

    public static string OpenAi => "sk-proj-" + Random(2, 48, Alnum + "_-");

    public static string Anthropic => "sk-ant-api03-" + Random(3, 93, Alnum + "_-");

    public static string AwsKeyId => "AKIA" + Random(4, 16, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567");

    public static string AwsSecret => Random(5, 40, Alnum + "/+");

    public static string GoogleApiKey => "AIza" + Random(6, 35, Alnum + "_-");

    public static string AzureStorageKey => Random(7, 86, Alnum + "+/") + "==";

    public static string WandbKey => Random(8, 40, "0123456789abcdef");

    public static string Generic => Random(9, 28, Alnum + "!@#$%");
}
