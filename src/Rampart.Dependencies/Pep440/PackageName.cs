using System.Text;

namespace Rampart.Dependencies.Pep440;

/// <summary>PEP 503 name normalisation: lower case, every run of '-', '_' and '.' becomes one '-'.</summary>
public static class PackageName
{
    public static string Normalize(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var builder = new StringBuilder(name.Length);
        var inSeparator = false;
        foreach (var c in name.Trim())
        {
            if (c is '-' or '_' or '.')
            {
                if (!inSeparator)
                {
                    builder.Append('-');
                }

                inSeparator = true;
                continue;
            }

            inSeparator = false;
            builder.Append(char.ToLowerInvariant(c));
        }

        return builder.ToString();
    }

    /// <summary>True for a name PEP 508 accepts: letters, digits, '-', '_', '.', starting and ending with a letter or digit.</summary>
    public static bool IsValid(string name) =>
        name.Length > 0 && char.IsAsciiLetterOrDigit(name[0]) && char.IsAsciiLetterOrDigit(name[^1])
        && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.');
}
