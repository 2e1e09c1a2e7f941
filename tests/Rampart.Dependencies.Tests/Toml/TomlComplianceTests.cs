using System.Globalization;
using System.Text.Json;
using Rampart.Dependencies.Toml;
using Rampart.TestKit;

namespace Rampart.Dependencies.Tests.Toml;

/// <summary>Every TOML 1.0 case of the toml-test compliance suite (../shared/testdata/toml-test/tests).</summary>
public sealed class TomlComplianceTests
{
    private static IEnumerable<string> Cases(string prefix)
    {
        if (SharedData.TryPath("toml-test/tests") is not { } root)
        {
            return ["placeholder.toml"]; // the theory is skipped where the data is absent
        }

        return File.ReadAllLines(Path.Combine(root, "files-toml-1.0.0"))
            .Where(l => l.StartsWith(prefix, StringComparison.Ordinal) && l.EndsWith(".toml", StringComparison.Ordinal));
    }

    public static TheoryData<string> ValidCases() => [.. Cases("valid/")];

    public static TheoryData<string> InvalidCases() => [.. Cases("invalid/")];

    [SharedDataTheory("toml-test")]
    [MemberData(nameof(ValidCases))]
    public void Parse_ValidCase_DecodesToExpectedJson(string file)
    {
        var root = SharedData.Path("toml-test/tests");
        var table = TomlReader.Parse(File.ReadAllBytes(Path.Combine(root, file)));
        using var expected = JsonDocument.Parse(File.ReadAllText(Path.Combine(root, Path.ChangeExtension(file, ".json"))));
        var problems = new List<string>();
        Compare(expected.RootElement, table, "$", problems);
        problems.Should().BeEmpty();
    }

    [SharedDataTheory("toml-test")]
    [MemberData(nameof(InvalidCases))]
    public void Parse_InvalidCase_RejectedWithPosition(string file)
    {
        var root = SharedData.Path("toml-test/tests");
        var act = () => TomlReader.Parse(File.ReadAllBytes(Path.Combine(root, file)));
        var error = act.Should().Throw<TomlException>().Which;
        error.Line.Should().BeGreaterThan(0);
        error.Column.Should().BeGreaterThan(0);
    }

    [SharedDataFact("toml-test")]
    public void Cases_List_CoversTheWholeSuite()
    {
        Cases("valid/").Count().Should().BeGreaterThan(150);
        Cases("invalid/").Count().Should().BeGreaterThan(400);
    }

    [Fact]
    public void Parse_DuplicateKey_ReportsLineAndColumn()
    {
        var act = () => TomlReader.Parse("a = 1\n\n  a = 2\n");
        var error = act.Should().Throw<TomlException>().Which;
        (error.Line, error.Column).Should().Be((3, 3));
        error.Message.Should().Contain("defined twice");
    }

    [Fact]
    public void Parse_DeepNesting_RejectedNotStackOverflow()
    {
        var text = "a = " + new string('[', 100_000);
        var act = () => TomlReader.Parse(text);
        act.Should().Throw<TomlException>().WithMessage("*nested*");
    }

    private static void Compare(JsonElement expected, object actual, string path, List<string> problems)
    {
        if (expected.ValueKind == JsonValueKind.Array)
        {
            if (actual is not TomlArray array || array.Count != expected.GetArrayLength())
            {
                problems.Add($"{path}: expected an array of {expected.GetArrayLength()}, got {Describe(actual)}");
                return;
            }

            var i = 0;
            foreach (var item in expected.EnumerateArray())
            {
                Compare(item, array[i], $"{path}[{i}]", problems);
                i++;
            }

            return;
        }

        if (expected.TryGetProperty("type", out var type) && expected.TryGetProperty("value", out var value) && type.ValueKind == JsonValueKind.String
            && expected.EnumerateObject().Count() == 2)
        {
            CompareScalar(type.GetString()!, value.GetString()!, actual, path, problems);
            return;
        }

        if (actual is not TomlTable table)
        {
            problems.Add($"{path}: expected a table, got {Describe(actual)}");
            return;
        }

        var keys = expected.EnumerateObject().Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
        if (!keys.SetEquals(table.Keys))
        {
            problems.Add($"{path}: keys [{string.Join(",", keys.Order(StringComparer.Ordinal))}] expected, got [{string.Join(",", table.Keys.Order(StringComparer.Ordinal))}]");
            return;
        }

        foreach (var p in expected.EnumerateObject())
        {
            Compare(p.Value, table[p.Name], $"{path}.{p.Name}", problems);
        }
    }

    private static void CompareScalar(string type, string value, object actual, string path, List<string> problems)
    {
        var ok = type switch
        {
            "string" => actual is string s && s == value,
            "integer" => actual is long l && l == long.Parse(value, CultureInfo.InvariantCulture),
            "float" => actual is double d && SameFloat(d, value),
            "bool" => actual is bool b && b == (value == "true"),
            "datetime" => actual is TomlDateTime { Kind: TomlDateTimeKind.OffsetDateTime } t && SameMoment(t.Text, value),
            "datetime-local" => actual is TomlDateTime { Kind: TomlDateTimeKind.LocalDateTime } t && SameMoment(t.Text, value),
            "date-local" => actual is TomlDateTime { Kind: TomlDateTimeKind.LocalDate } t && t.Text == value,
            "time-local" => actual is TomlDateTime { Kind: TomlDateTimeKind.LocalTime } t && SameMoment(t.Text, value),
            _ => false,
        };
        if (!ok)
        {
            problems.Add($"{path}: expected {type} '{value}', got {Describe(actual)}");
        }
    }

    private static bool SameFloat(double actual, string expected) => expected switch
    {
        "nan" or "+nan" or "-nan" => double.IsNaN(actual),
        "inf" or "+inf" => double.IsPositiveInfinity(actual),
        "-inf" => double.IsNegativeInfinity(actual),
        _ => actual.Equals(double.Parse(expected, CultureInfo.InvariantCulture)),
    };

    // Fractions are compared as written, with trailing zeros ignored; "Z" equals "+00:00" only when written so.
    private static bool SameMoment(string actual, string expected)
    {
        static string Norm(string t) => System.Text.RegularExpressions.Regex.Replace(t.ToUpperInvariant(), @"\.([0-9]*?)0*(?=$|[Z+-])", m => m.Groups[1].Length == 0 ? "" : "." + m.Groups[1].Value);
        return Norm(actual) == Norm(expected);
    }

    private static string Describe(object value) => value switch
    {
        TomlTable t => $"a table of {t.Count}",
        TomlArray a => $"an array of {a.Count}",
        TomlDateTime d => $"{d.Kind} '{d.Text}'",
        _ => $"{value.GetType().Name} '{Convert.ToString(value, CultureInfo.InvariantCulture)}'",
    };
}
