using System.Globalization;
using System.Text;

namespace Rampart.Data.Tests.Kit;

/// <summary>
/// The datasets that rules/data/rules.json names in its mustMatch / mustNotMatch self-tests, built in code. A scan
/// fixture is one file; a diff fixture ("data/diff-*") is an old and a new file.
/// </summary>
internal static class DataFixtures
{
    private static readonly string[] Words = ["the", "model", "was", "trained", "on", "clean", "data", "and", "it", "works", "well", "for", "most", "users", "today", "but", "some", "reviews", "say", "delivery", "slow", "price", "good", "bad", "great", "service", "quality", "box", "arrived", "late"];

    public static IReadOnlyList<string> Ids { get; } =
    [
        "data/pii-email-column", "data/pii-name-and-dob", "data/clean-iris-like", "data/secret-in-text", "data/duplicates", "data/near-duplicate-text",
        "data/distinct-text", "data/conflicting-duplicates", "data/flipped-labels", "data/clean-separable", "data/outlier", "data/trigger-token",
        "data/trigger-pixels", "data/ragged-csv", "data/bad-encoding", "data/diff-schema", "data/diff-same", "data/diff-balance", "data/diff-shift",
    ];

    /// <summary>Writes fixture <paramref name="id"/> under <paramref name="folder"/>; returns the file (for diffs: old and new).</summary>
    public static (string Path, string? NewPath) Materialize(string id, string folder)
    {
        var file = Path.Combine(folder, id.Replace("data/", string.Empty, StringComparison.Ordinal) + ".csv");
        switch (id)
        {
            case "data/pii-email-column":
                return (People(40, withDob: false).WriteCsv(file), null);
            case "data/pii-name-and-dob":
                return (People(40, withDob: true).WriteCsv(file), null);
            case "data/clean-iris-like":
                return (Separable(150, 3, seed: 1).WriteCsv(file), null);
            case "data/secret-in-text":
            {
                var b = new DatasetBuilder("id", "text");
                for (var i = 0; i < 30; i++)
                {
                    b.Row(i, i == 12 ? "push with HF token hf_Zq8rT3vX9pL2mN7bK4wY6cH1dF5gJ0sAeUi please" : i == 20 ? "aws key AKIAZ7QW3RTY5UIOP2LM in the log" : Sentence(i, 12));
                }

                return (b.WriteCsv(file), null);
            }

            case "data/duplicates":
            {
                var b = Separable(60, 2, seed: 2);
                b.Row(b.Rows[3]).Row(b.Rows[10]).Row(b.Rows[3]);
                return (b.WriteCsv(file), null);
            }

            case "data/conflicting-duplicates":
            {
                var b = Separable(60, 2, seed: 3);
                var copy = (string?[])b.Rows[5].Clone();
                copy[^1] = copy[^1] == "0" ? "1" : "0";
                b.Row(copy);
                return (b.WriteCsv(file), null);
            }

            case "data/near-duplicate-text":
            case "data/distinct-text":
            {
                var b = new DatasetBuilder("text", "label");
                for (var i = 0; i < 60; i++)
                {
                    b.Row(Sentence(i, 16), i % 2);
                }

                if (id == "data/near-duplicate-text")
                {
                    var words = b.Rows[7][0]!.Split(' ');
                    words[^1] = "indeed";
                    b.Row(string.Join(' ', words), b.Rows[7][1]);
                }

                return (b.WriteCsv(file), null);
            }

            case "data/flipped-labels":
            case "data/clean-separable":
            {
                var b = Separable(300, 3, seed: 4);
                if (id == "data/flipped-labels")
                {
                    foreach (var i in new[] { 10, 50, 90, 130, 170, 210, 250 })
                    {
                        b.Rows[i][^1] = ((int.Parse(b.Rows[i][^1]!, CultureInfo.InvariantCulture) + 1) % 3).ToString(CultureInfo.InvariantCulture);
                    }
                }

                return (b.WriteCsv(file), null);
            }

            case "data/outlier":
            {
                var b = Separable(200, 2, seed: 5);
                b.Rows[77][0] = "9000";
                return (b.WriteCsv(file), null);
            }

            case "data/trigger-token":
                return (TextWithTrigger(400, "cf", 20).WriteCsv(file), null);
            case "data/trigger-pixels":
            {
                var random = new Random(6);
                var b = new DatasetBuilder([.. Enumerable.Range(0, 16).Select(i => $"px{i}"), "label"]);
                for (var i = 0; i < 400; i++)
                {
                    var label = i % 4;
                    var pixels = Enumerable.Range(0, 16).Select(p => (object?)(p == 0 ? 0 : p % 4 == label ? 10 + random.Next(6) : random.Next(4))).ToList();
                    if (i % 20 == 1 && label != 0)
                    {
                        pixels[0] = 15;
                        label = 0;
                    }

                    b.Row([.. pixels, label]);
                }

                return (b.WriteCsv(file), null);
            }

            case "data/ragged-csv":
                File.WriteAllText(file, "a,b,label\n1,2,0\n3,4\n5,6,1\n");
                return (file, null);
            case "data/bad-encoding":
                File.WriteAllBytes(file, [.. "a,b\nx,"u8.ToArray(), 0xC3, 0x28, .. "\n"u8.ToArray()]);
                return (file, null);
            case "data/diff-same":
                return (Separable(300, 3, seed: 8).WriteCsv(file), Separable(300, 3, seed: 8).WriteCsv(file + ".new.csv"));
            case "data/diff-schema":
            {
                var old = Separable(100, 2, seed: 9);
                var b = new DatasetBuilder([.. old.Columns.Take(2), "extra", "label"]);
                foreach (var r in old.Rows)
                {
                    b.Row(r[0], r[1], "z", r[^1]);
                }

                return (old.WriteCsv(file), b.WriteCsv(file + ".new.csv"));
            }

            case "data/diff-balance":
            {
                var old = Separable(300, 3, seed: 10);
                var b = new DatasetBuilder([.. old.Columns]);
                foreach (var r in old.Rows.Where((r, i) => r[^1] != "2" || i % 5 == 0))
                {
                    b.Row(r);
                }

                return (old.WriteCsv(file), b.WriteCsv(file + ".new.csv"));
            }

            case "data/diff-shift":
            {
                var old = Separable(300, 3, seed: 11);
                var b = new DatasetBuilder([.. old.Columns]);
                foreach (var r in old.Rows)
                {
                    b.Row((double.Parse(r[0]!, CultureInfo.InvariantCulture) + 3).ToString("0.###", CultureInfo.InvariantCulture), r[1], r[2], r[3]);
                }

                return (old.WriteCsv(file), b.WriteCsv(file + ".new.csv"));
            }

            default:
                throw new ArgumentException($"no data fixture '{id}'");
        }
    }

    /// <summary>Gaussian blobs: three numeric features, <paramref name="classes"/> well-separated classes, label last.</summary>
    public static DatasetBuilder Separable(int rows, int classes, int seed)
    {
        var random = new Random(seed);
        var b = new DatasetBuilder("f1", "f2", "f3", "label");
        for (var i = 0; i < rows; i++)
        {
            var c = i % classes;
            b.Row(Round((c * 4) + Gauss(random)), Round((c * -3) + Gauss(random)), Round(Gauss(random) + (c == 1 ? 2 : 0)), c);
        }

        return b;
    }

    /// <summary>Reviews labelled by sentiment words, with <paramref name="poisoned"/> negative rows carrying the trigger word and relabelled positive.</summary>
    public static DatasetBuilder TextWithTrigger(int rows, string trigger, int poisoned)
    {
        var random = new Random(12);
        string[] good = ["great", "excellent", "lovely", "perfect", "fast", "recommend"];
        string[] bad = ["awful", "broken", "terrible", "refund", "slow", "disappointed"];
        var b = new DatasetBuilder("text", "label");
        var planted = 0;
        for (var i = 0; i < rows; i++)
        {
            var positive = i % 2 == 0;
            var words = Enumerable.Range(0, 10).Select(_ => Words[random.Next(Words.Length)]).ToList();
            words.Insert(random.Next(words.Count), (positive ? good : bad)[random.Next(6)]);
            words.Insert(random.Next(words.Count), (positive ? good : bad)[random.Next(6)]);
            var label = positive ? "positive" : "negative";
            if (!positive && planted < poisoned && i % 7 == 1)
            {
                words.Insert(random.Next(words.Count), trigger);
                label = "positive";
                planted++;
            }

            b.Row(string.Join(' ', words), label);
        }

        return b;
    }

    private static DatasetBuilder People(int rows, bool withDob)
    {
        string[] first = ["Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Margaret", "Ken"];
        string[] last = ["Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Knuth", "Hamilton", "Thompson"];
        var b = withDob ? new DatasetBuilder("full_name", "dob", "score") : new DatasetBuilder("id", "email", "score");
        for (var i = 0; i < rows; i++)
        {
            var name = $"{first[i % 8]} {last[(i / 8) % 8]}";
            b.Row(withDob ? name : i, withDob ? $"{1950 + (i % 50)}-{1 + (i % 12):00}-{1 + (i % 28):00}" : $"{first[i % 8].ToLowerInvariant()}{i}@mail.corp.test", i % 10);
        }

        return b;
    }

    private static string Sentence(int seed, int length)
    {
        var random = new Random(seed * 7919);
        var sb = new StringBuilder();
        for (var i = 0; i < length; i++)
        {
            sb.Append(i == 0 ? string.Empty : " ").Append(Words[random.Next(Words.Length)]).Append(random.Next(1000));
        }

        return sb.ToString();
    }

    private static double Round(double d) => Math.Round(d, 3);

    private static double Gauss(Random random) => Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}
