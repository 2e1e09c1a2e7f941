using System.Collections.Immutable;
using YamlDotNet.RepresentationModel;

namespace Rampart.Core.Policy;

public static partial class PolicyParser
{
    private static readonly string[] DependencyKeys = ["internal-packages", "internal-indexes", "require-pins", "advisories", "target"];

    // dependencies:
    //   internal-packages: [acme-*, corp-tokenizer]     names (globs) served by the internal index
    //   internal-indexes: [https://pypi.acme.internal/]  index URL prefixes that count as internal
    //   require-pins: ["**/serving/**"]                   manifests that must pin; [] turns the check off
    //   advisories: required | off                        off: do not check advisories (no "not checked" finding)
    //   target: {python_version: "3.11", sys_platform: linux}   PEP 508 marker variables of the environment audited for
    // Advisories are ignored with a suppression (rule RAMP-DEP-001, name: the advisory id, justification, expires).
    static partial void ParseDependencies(YamlMappingNode section, string source, ref ScanPolicy policy, ref bool handled)
    {
        CheckKeys(section, DependencyKeys, source, "dependencies");
        if (Get(section, "internal-packages") is { } internalNames)
        {
            policy = policy with { InternalPackages = StringList(internalNames, source) };
        }

        if (Get(section, "internal-indexes") is { } indexes)
        {
            var list = StringList(indexes, source);
            foreach (var url in list)
            {
                if (!Uri.TryCreate(url, UriKind.Absolute, out _))
                {
                    throw Error(source, indexes, $"internal-indexes entries must be absolute URLs (got '{url}')");
                }
            }

            policy = policy with { InternalIndexes = list };
        }

        if (Get(section, "require-pins") is { } pins)
        {
            policy = policy with { RequirePins = pins is YamlSequenceNode { Children.Count: 0 } ? [] : StringList(pins, source) };
        }

        if (Get(section, "advisories") is { } advisories)
        {
            var text = Scalar(advisories, source);
            policy = policy with
            {
                Advisories = text switch
                {
                    "required" => AdvisoryMode.Required,
                    "off" => AdvisoryMode.Off,
                    _ => throw Error(source, advisories, $"advisories must be 'required' or 'off' (got '{text}')"),
                },
            };
        }

        if (Get(section, "target") is { } target)
        {
            if (target is not YamlMappingNode mapping)
            {
                throw Error(source, target, "target must be a mapping of PEP 508 marker variables to values (python_version: \"3.11\")");
            }

            var values = ImmutableDictionary.CreateBuilder<string, string>(StringComparer.Ordinal);
            foreach (var (key, value) in mapping.Children)
            {
                var name = Scalar(key, source);
                if (!ScanPolicy.MarkerVariables.Contains(name))
                {
                    throw Error(source, key, $"'{name}' is not a PEP 508 marker variable (one of {string.Join(", ", ScanPolicy.MarkerVariables.Order(StringComparer.Ordinal))})");
                }

                values[name] = Scalar(value, source);
            }

            policy = policy with { TargetEnvironment = values.ToImmutable() };
        }

        handled = true;
    }
}
