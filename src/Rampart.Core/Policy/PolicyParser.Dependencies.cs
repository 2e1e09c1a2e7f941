using YamlDotNet.RepresentationModel;

namespace Rampart.Core.Policy;

public static partial class PolicyParser
{
    private static readonly string[] DependencyKeys = ["internal-packages", "internal-indexes", "require-pins", "advisories"];

    // dependencies:
    //   internal-packages: [acme-*, corp-tokenizer]     names (globs) served by the internal index
    //   internal-indexes: [https://pypi.acme.internal/]  index URL prefixes that count as internal
    //   require-pins: ["**/serving/**"]                   manifests that must pin; [] turns the check off
    //   advisories: required | off                        off: do not check advisories (no "not checked" finding)
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

        handled = true;
    }
}
