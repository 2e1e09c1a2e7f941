using System.Collections.Immutable;
using System.Text.RegularExpressions;
using Rampart.Dependencies.Pep440;

namespace Rampart.Dependencies.Manifests;

/// <summary>A parsed PEP 508 requirement ("requests[security] &gt;=2.8.1, ==2.8.* ; python_version &lt; '2.7'").</summary>
public sealed record Pep508Requirement(string Name, ImmutableArray<string> Extras, string? Specifier, string? PinnedVersion, string? Url, string? Marker);

/// <summary>Parses PEP 508 dependency specifications.</summary>
public static partial class Pep508
{
    [GeneratedRegex(@"^\s*(?<name>[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*(?:\[(?<extras>[^\]]*)\])?\s*(?<rest>.*?)\s*$", RegexOptions.CultureInvariant | RegexOptions.ExplicitCapture | RegexOptions.Singleline, 1000)]
    private static partial Regex Head();

    public static bool TryParse(string text, out Pep508Requirement requirement, out string error)
    {
        requirement = null!;
        error = "";
        var m = Head().Match(text);
        if (!m.Success)
        {
            error = $"'{text.Trim()}' is not a requirement (PEP 508): it must start with a package name";
            return false;
        }

        var name = m.Groups["name"].Value;
        var extras = m.Groups["extras"].Success
            ? m.Groups["extras"].Value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).ToImmutableArray()
            : [];
        var rest = m.Groups["rest"].Value;
        string? marker = null;
        string? url = null;
        if (rest.StartsWith('@'))
        {
            var body = rest[1..].Trim();
            var semi = body.IndexOf(" ;", StringComparison.Ordinal);
            if (semi < 0)
            {
                semi = body.IndexOf("; ", StringComparison.Ordinal);
            }

            if (semi >= 0)
            {
                marker = body[(semi + 1)..].Trim().TrimStart(';').Trim();
                body = body[..semi].Trim();
            }

            if (body.Length == 0 || !body.Contains(':', StringComparison.Ordinal) || body.Any(char.IsWhiteSpace))
            {
                error = $"'{text.Trim()}': the URL after '@' is not valid";
                return false;
            }

            if (marker is not null && !EnvironmentMarker.TryValidate(marker, out var urlMarkerError))
            {
                error = $"'{text.Trim()}': the environment marker is not valid ({urlMarkerError}); pip refuses the line, so it is not audited as if it applied";
                return false;
            }

            url = body;
            requirement = new Pep508Requirement(name, extras, null, null, url, marker);
            return true;
        }

        var semicolon = rest.IndexOf(';', StringComparison.Ordinal);
        if (semicolon >= 0)
        {
            marker = rest[(semicolon + 1)..].Trim();
            rest = rest[..semicolon].Trim();
            if (marker.Length == 0)
            {
                error = $"'{text.Trim()}': the environment marker after ';' is empty";
                return false;
            }
        }

        if (rest.StartsWith('(') && rest.EndsWith(')'))
        {
            rest = rest[1..^1].Trim();
        }

        if (rest.Length > 0 && !SpecifierSet.TryParse(rest, out _))
        {
            error = $"'{text.Trim()}': '{rest}' is not a valid version specifier (PEP 440)";
            return false;
        }

        if (marker is not null && !EnvironmentMarker.TryValidate(marker, out var markerError))
        {
            error = $"'{text.Trim()}': the environment marker is not valid ({markerError}); pip refuses the line, so it is not audited as if it applied";
            return false;
        }

        var set = SpecifierSet.TryParse(rest, out var parsed) ? parsed : SpecifierSet.Any;
        var (pinned, contradiction) = set.Pin();
        if (contradiction is not null)
        {
            error = $"'{text.Trim()}': {contradiction}, so pip cannot install it";
            return false;
        }
        requirement = new Pep508Requirement(name, extras, rest.Length > 0 ? set.ToString() : null, pinned, null, marker);
        return true;
    }
}
