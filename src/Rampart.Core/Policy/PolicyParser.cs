using System.Collections.Immutable;
using System.Globalization;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Rampart.Core.Policy;

/// <summary>A policy file that cannot be used; the message names the file, line and the problem.</summary>
public sealed class PolicyException(string message) : Exception(message);

/// <summary>
/// Reads a rampart.yaml policy. Strict on purpose: an unknown key, a misspelt severity or a suppression without a
/// justification is an error (exit 3), never silently ignored, because a typo in a security gate must not open it.
/// </summary>
public static partial class PolicyParser
{
    // Sections owned by other rooms ("require": integrity, "dependencies": the audit, "code": code review) are
    // parsed by partial methods in PolicyParser.<Section>.cs beside this file, into ScanPolicy properties declared
    // in ScanPolicy.<Section>.cs. Each sets `handled`; a section no code handles is an error, never silently ignored.
    private static readonly string[] TopKeys = ["version", "fail-on", "allow", "suppressions", "limits", "require", "dependencies", "code"];

    public static ScanPolicy Parse(string yaml, string source)
    {
        ArgumentNullException.ThrowIfNull(yaml);
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(yaml));
        }
        catch (YamlException e)
        {
            throw new PolicyException($"{source}:{e.Start.Line}:{e.Start.Column}: not valid YAML: {e.Message}");
        }

        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is YamlScalarNode { Value: null or "" })
        {
            return ScanPolicy.Default with { Source = source };
        }

        var root = Map(stream.Documents[0].RootNode, source, "the policy");
        CheckKeys(root, TopKeys, source, "the policy");
        var policy = ScanPolicy.Default with { Source = source };

        if (Get(root, "version") is { } version && Scalar(version, source) != "1")
        {
            throw Error(source, version, "only policy version 1 is supported");
        }

        if (Get(root, "fail-on") is { } failOn)
        {
            var text = Scalar(failOn, source);
            if (!SeverityNames.TryParse(text, out var severity))
            {
                throw Error(source, failOn, $"fail-on must be one of info, low, medium, high, critical (got '{text}')");
            }

            policy = policy with { FailOn = severity };
        }

        if (Get(root, "allow") is { } allowNode)
        {
            var allow = Map(allowNode, source, "allow");
            CheckKeys(allow, ["globals", "review-globals"], source, "allow");
            policy = policy with
            {
                AllowedGlobals = Get(allow, "globals") is { } g ? StringList(g, source) : [],
                ReviewGlobals = Get(allow, "review-globals") is { } r ? StringList(r, source) : [],
            };
        }

        if (Get(root, "suppressions") is { } suppressions)
        {
            if (suppressions is not YamlSequenceNode list)
            {
                throw Error(source, suppressions, "suppressions must be a list");
            }

            policy = policy with { Suppressions = [.. list.Children.Select(n => ParseSuppression(n, source))] };
        }

        if (Get(root, "limits") is { } limits)
        {
            policy = policy with { Limits = ParseLimits(Map(limits, source, "limits"), source) };
        }

        if (Get(root, "require") is { } require)
        {
            var handled = false;
            ParseRequire(Map(require, source, "require"), source, ref policy, ref handled);
            if (!handled)
            {
                throw Error(source, require, "the 'require' section is not supported by this version of Rampart");
            }
        }

        if (Get(root, "dependencies") is { } dependencies)
        {
            var handled = false;
            ParseDependencies(Map(dependencies, source, "dependencies"), source, ref policy, ref handled);
            if (!handled)
            {
                throw Error(source, dependencies, "the 'dependencies' section is not supported by this version of Rampart");
            }
        }

        if (Get(root, "code") is { } code)
        {
            var handled = false;
            ParseCode(Map(code, source, "code"), source, ref policy, ref handled);
            if (!handled)
            {
                throw Error(source, code, "the 'code' section is not supported by this version of Rampart");
            }
        }

        return policy;
    }

    /// <summary>The "require" section (signatures a scan demands); implemented in PolicyParser.Require.cs.</summary>
    static partial void ParseRequire(YamlMappingNode section, string source, ref ScanPolicy policy, ref bool handled);

    /// <summary>The "dependencies" section (the audit's settings); implemented in PolicyParser.Dependencies.cs.</summary>
    static partial void ParseDependencies(YamlMappingNode section, string source, ref ScanPolicy policy, ref bool handled);

    /// <summary>The "code" section (code review: approved AI providers...); implemented in PolicyParser.Code.cs.</summary>
    static partial void ParseCode(YamlMappingNode section, string source, ref ScanPolicy policy, ref bool handled);

    private static Suppression ParseSuppression(YamlNode node, string source)
    {
        var map = Map(node, source, "a suppression");
        CheckKeys(map, ["rule", "path", "name", "justification", "expires"], source, "a suppression");
        var rule = Get(map, "rule") is { } r ? Scalar(r, source) : throw Error(source, node, "a suppression needs 'rule' (a rule id or glob)");
        var justification = Get(map, "justification") is { } j ? Scalar(j, source) : "";
        if (string.IsNullOrWhiteSpace(justification))
        {
            throw Error(source, node, $"the suppression of {rule} needs a 'justification' saying why it is safe");
        }

        DateOnly? expires = null;
        if (Get(map, "expires") is { } e)
        {
            var text = Scalar(e, source);
            if (!DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
            {
                throw Error(source, e, $"expires must be a date like 2027-01-31 (got '{text}')");
            }

            expires = date;
        }

        return new Suppression(
            rule,
            Get(map, "path") is { } p ? Scalar(p, source) : null,
            Get(map, "name") is { } n ? Scalar(n, source) : null,
            justification.Trim(),
            expires);
    }

    private static ScanLimits ParseLimits(YamlMappingNode map, string source)
    {
        CheckKeys(map, ["time-per-file-seconds", "max-file-bytes", "max-decompressed-bytes", "max-compression-ratio", "max-depth", "max-members", "max-pickle-opcodes"], source, "limits");
        var limits = ScanLimits.Default;
        long Number(string key, long min)
        {
            var node = Get(map, key)!;
            var text = Scalar(node, source);
            if (!long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) || value < min)
            {
                throw Error(source, node, $"limits.{key} must be a whole number of at least {min} (got '{text}')");
            }

            return value;
        }

        if (Get(map, "time-per-file-seconds") is not null) { limits = limits with { TimePerFile = TimeSpan.FromSeconds(Number("time-per-file-seconds", 1)) }; }
        if (Get(map, "max-file-bytes") is not null) { limits = limits with { MaxFileBytes = Number("max-file-bytes", 1) }; }
        if (Get(map, "max-decompressed-bytes") is not null) { limits = limits with { MaxDecompressedBytes = Number("max-decompressed-bytes", 1) }; }
        if (Get(map, "max-compression-ratio") is not null) { limits = limits with { MaxCompressionRatio = Number("max-compression-ratio", 1) }; }
        if (Get(map, "max-depth") is not null) { limits = limits with { MaxDepth = (int)Math.Min(Number("max-depth", 1), 64) }; }
        if (Get(map, "max-members") is not null) { limits = limits with { MaxMembers = (int)Math.Min(Number("max-members", 1), int.MaxValue) }; }
        if (Get(map, "max-pickle-opcodes") is not null) { limits = limits with { MaxPickleOpcodes = Number("max-pickle-opcodes", 1) }; }
        return limits;
    }

    internal static YamlMappingNode Map(YamlNode node, string source, string what) =>
        node as YamlMappingNode ?? throw Error(source, node, $"{what} must be a mapping of keys to values");

    internal static YamlNode? Get(YamlMappingNode map, string key) =>
        map.Children.TryGetValue(new YamlScalarNode(key), out var value) ? value : null;

    internal static string Scalar(YamlNode node, string source) =>
        node is YamlScalarNode s ? s.Value ?? "" : throw Error(source, node, "expected a single value");

    internal static ImmutableArray<string> StringList(YamlNode node, string source)
    {
        if (node is not YamlSequenceNode seq)
        {
            throw Error(source, node, "expected a list");
        }

        var items = seq.Children.Select(c => Scalar(c, source).Trim()).ToImmutableArray();
        if (items.Any(string.IsNullOrEmpty))
        {
            throw Error(source, node, "list entries must not be empty");
        }

        return items;
    }

    internal static void CheckKeys(YamlMappingNode map, string[] allowed, string source, string what)
    {
        foreach (var key in map.Children.Keys)
        {
            var name = key is YamlScalarNode s ? s.Value : null;
            if (name is null || !allowed.Contains(name, StringComparer.Ordinal))
            {
                throw Error(source, key, $"unknown key '{name}' in {what} (allowed: {string.Join(", ", allowed)})");
            }
        }
    }

    internal static PolicyException Error(string source, YamlNode node, string message) =>
        new($"{source}:{node.Start.Line}:{node.Start.Column}: {message}");
}
