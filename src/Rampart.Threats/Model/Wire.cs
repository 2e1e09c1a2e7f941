using System.Text;

namespace Rampart.Threats.Model;

/// <summary>The YAML/JSON names of the model's enums: kebab-case (<c>ServingEndpoint</c> is <c>serving-endpoint</c>).</summary>
public static class Wire
{
    public static string Name<T>(T value)
        where T : struct, Enum
    {
        var text = value.ToString();
        var sb = new StringBuilder(text.Length + 4);
        for (var i = 0; i < text.Length; i++)
        {
            if (char.IsUpper(text[i]) && i > 0)
            {
                sb.Append('-');
            }

            sb.Append(char.ToLowerInvariant(text[i]));
        }

        return sb.ToString();
    }

    public static bool TryParse<T>(string text, out T value)
        where T : struct, Enum
    {
        foreach (var candidate in Enum.GetValues<T>())
        {
            if (string.Equals(Name(candidate), text, StringComparison.Ordinal))
            {
                value = candidate;
                return true;
            }
        }

        value = default;
        return false;
    }

    public static string Known<T>()
        where T : struct, Enum => string.Join(", ", Enum.GetValues<T>().Select(Name));
}
