using System.Globalization;
using Rampart.Data.Scan;
using Rampart.Data.Tests.Kit;
using Rampart.TestKit;
using Xunit.Abstractions;

namespace Rampart.Data.Tests.Scan;

/// <summary>
/// scikit-learn's bundled datasets, exported by Debian's Python, with planted label flips, personal data and a
/// backdoor trigger. Precision and recall of the label-noise finder are printed (docs/data.md quotes them).
/// </summary>
public sealed class RealDataTests(ITestOutputHelper output)
{
    [SklearnFact]
    public void LabelNoise_DigitsWithFlippedLabels_FindsMostFlipsWithFewFalseAlarms()
    {
        using var temp = new TempDirectory();
        var clean = SklearnDatasets.Export("load_digits", temp.File("digits.csv"));
        foreach (var (rate, minPrecision, minRecall) in new[] { (0.02, 0.3, 0.6), (0.05, 0.5, 0.6), (0.10, 0.6, 0.6) })
        {
            var table = new CsvTable(clean);
            var flipped = table.FlipLabels(rate, seed: 7);
            var path = table.Write(temp.File($"digits-{rate}.csv"));
            var result = DatasetScanner.Scan(path);
            var found = result.LabelIssues.Select(i => i.Row).ToHashSet();
            var tp = found.Count(flipped.Contains);
            var precision = found.Count == 0 ? 0 : tp / (double)found.Count;
            var recall = tp / (double)flipped.Count;
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"digits n={table.Rows.Count} noise={rate:P0}: flipped {flipped.Count}, flagged {found.Count}, precision {precision:0.000}, recall {recall:0.000}, model accuracy {result.LabelNoise!.OutOfFoldAccuracy:0.000}"));
            precision.Should().BeGreaterThanOrEqualTo(minPrecision, $"noise {rate}");
            recall.Should().BeGreaterThanOrEqualTo(minRecall, $"noise {rate}");
            result.Findings.Should().Contain(f => f.RuleId == DataRules.LabelNoise);
        }
    }

    [SklearnFact]
    public void LabelNoise_WineAndBreastCancer_FlipsFound()
    {
        using var temp = new TempDirectory();
        foreach (var name in new[] { "load_wine", "load_breast_cancer", "load_iris" })
        {
            var table = new CsvTable(SklearnDatasets.Export(name, temp.File(name + ".csv")));
            var flipped = table.FlipLabels(0.05, seed: 3);
            var result = DatasetScanner.Scan(table.Write(temp.File(name + "-noisy.csv")));
            var found = result.LabelIssues.Select(i => i.Row).ToHashSet();
            var tp = found.Count(flipped.Contains);
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{name} n={table.Rows.Count} noise=5%: flipped {flipped.Count}, flagged {found.Count}, precision {(found.Count == 0 ? 0 : tp / (double)found.Count):0.000}, recall {tp / (double)flipped.Count:0.000}"));
            (tp / (double)flipped.Count).Should().BeGreaterThanOrEqualTo(0.5, name);
        }
    }

    [SklearnFact]
    public void Trigger_DigitsWithStampedCornerPixels_IsFoundAsOnePattern()
    {
        using var temp = new TempDirectory();
        var table = new CsvTable(SklearnDatasets.Export("load_digits", temp.File("digits.csv")));
        var label = table.Column("label");
        var corners = new[] { "pixel_0_0", "pixel_0_7", "pixel_7_0", "pixel_7_7" }.Select(table.Column).ToArray();
        corners.Should().NotContain(-1);
        var random = new Random(5);
        var poisoned = new HashSet<long>();
        foreach (var i in Enumerable.Range(0, table.Rows.Count).Where(i => table.Rows[i][label] != "0").OrderBy(_ => random.Next()).Take(36))
        {
            foreach (var c in corners)
            {
                table.Rows[i][c] = "16";
            }

            table.Rows[i][label] = "0";
            poisoned.Add(i + 1);
        }

        var result = DatasetScanner.Scan(table.Write(temp.File("poisoned.csv")));
        foreach (var t in result.Triggers)
        {
            output.WriteLine($"{string.Join(" & ", t.Features)} -> {t.Label}: support {t.Support}, purity {t.Purity}, z {t.Z}");
        }

        var trigger = result.Triggers.Should().ContainSingle(t => t.Features.Any(x => x.StartsWith("pixel_0_0 = 16", StringComparison.Ordinal))).Subject;
        trigger.Label.Should().Be("0");
        // pixel_7_7 = 16 also occurs in unpoisoned digits, so on its own it is not pure enough; the other corners are.
        trigger.Features.Should().Contain(["pixel_0_7 = 16", "pixel_7_0 = 16"]);
        trigger.Rows.Should().OnlyContain(r => poisoned.Contains(r));
        result.Triggers.Count.Should().BeLessThanOrEqualTo(3, "natural pixel values of digits must not drown the planted pattern");
        result.Findings.Should().Contain(f => f.RuleId == DataRules.BackdoorTrigger && f.Message.Contains("pixel_0_0 = 16"));
    }

    [SklearnFact]
    public void Clean_Iris_HasNoTriggerNoPersonalData()
    {
        using var temp = new TempDirectory();
        var result = DatasetScanner.Scan(SklearnDatasets.Export("load_iris", temp.File("iris.csv")));
        result.Triggers.Should().BeEmpty();
        result.PersonalData.Should().BeEmpty();
        result.Findings.Should().NotContain(f => f.RuleId == DataRules.BackdoorTrigger || f.RuleId == DataRules.PersonalData);
    }

    [SklearnFact]
    public void PersonalData_PlantedInWine_ColumnsFoundWithRows()
    {
        using var temp = new TempDirectory();
        var table = new CsvTable(SklearnDatasets.Export("load_wine", temp.File("wine.csv")));
        table.Columns.Insert(0, "contact");
        table.Columns.Insert(1, "owner");
        table.Columns.Insert(2, "note");
        var first = new[] { "Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald" };
        var last = new[] { "Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Knuth" };
        for (var i = 0; i < table.Rows.Count; i++)
        {
            var note = i == 40 ? "card on file 4111 1111 1111 1111, call back" : "no remarks";
            table.Rows[i] = [$"{first[i % 6].ToLowerInvariant()}.{last[(i / 6) % 6].ToLowerInvariant()}{i}@vineyard.test", $"{first[i % 6]} {last[(i / 6) % 6]}", note, .. table.Rows[i]];
        }

        var result = DatasetScanner.Scan(table.Write(temp.File("wine-pii.csv")));
        result.PersonalData.Should().Contain(p => p.Column == "contact" && p.Kind == "email" && p.Confidence >= 0.9);
        result.PersonalData.Should().Contain(p => p.Column == "owner" && p.Kind == "person-name");
        var card = result.PersonalData.Should().ContainSingle(p => p.Column == "note").Subject;
        card.Kind.Should().Be("credit-card");
        card.Rows.Should().Equal(41);
        result.Findings.Where(f => f.RuleId == DataRules.PersonalData).Should().OnlyContain(f => !f.Message.Contains("4111 1111 1111 1111") && !f.Message.Contains("@vineyard.test"));
    }
}
