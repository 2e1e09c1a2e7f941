using YamlDotNet.RepresentationModel;

namespace Rampart.Core.Policy;

public static partial class PolicyParser
{
    /// <summary>
    /// code:
    ///   ai:
    ///     providers: [{name: azure-openai, data-classes: [public, internal]}, {name: anthropic}]
    ///     data-classes: [{path: "services/claims/**", class: confidential}]
    ///     default-data-class: internal
    /// </summary>
    static partial void ParseCode(YamlMappingNode section, string source, ref ScanPolicy policy, ref bool handled)
    {
        CheckKeys(section, ["ai"], source, "code");
        handled = true;
        if (Get(section, "ai") is not { } aiNode)
        {
            return;
        }

        var ai = Map(aiNode, source, "code.ai");
        CheckKeys(ai, ["providers", "data-classes", "default-data-class"], source, "code.ai");
        if (Get(ai, "providers") is { } providers)
        {
            if (providers is not YamlSequenceNode list)
            {
                throw Error(source, providers, "code.ai.providers must be a list");
            }

            policy = policy with
            {
                CodeAiProviders = [.. list.Children.Select(n =>
                {
                    if (n is YamlScalarNode)
                    {
                        return new ApprovedAiProvider(Scalar(n, source), []);
                    }

                    var map = Map(n, source, "an approved AI provider");
                    CheckKeys(map, ["name", "data-classes"], source, "an approved AI provider");
                    var name = Get(map, "name") is { } nm ? Scalar(nm, source) : throw Error(source, n, "an approved AI provider needs a 'name'");
                    return new ApprovedAiProvider(name, Get(map, "data-classes") is { } dc ? StringList(dc, source) : []);
                })],
            };
        }

        if (Get(ai, "data-classes") is { } classes)
        {
            if (classes is not YamlSequenceNode list)
            {
                throw Error(source, classes, "code.ai.data-classes must be a list");
            }

            policy = policy with
            {
                CodeDataClasses = [.. list.Children.Select(n =>
                {
                    var map = Map(n, source, "a data class entry");
                    CheckKeys(map, ["path", "class"], source, "a data class entry");
                    var path = Get(map, "path") is { } p ? Scalar(p, source) : throw Error(source, n, "a data class entry needs a 'path' glob");
                    var dataClass = Get(map, "class") is { } c ? Scalar(c, source) : throw Error(source, n, "a data class entry needs a 'class'");
                    return new CodeDataClass(path, dataClass);
                })],
            };
        }

        if (Get(ai, "default-data-class") is { } defaultClass)
        {
            policy = policy with { CodeDefaultDataClass = Scalar(defaultClass, source) };
        }
    }
}
