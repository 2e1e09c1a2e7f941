namespace Rampart.Core;

/// <summary>
/// The answer to "is this artifact safe to load?". Ordered from best to worst, so that the verdict of a
/// container is the worst verdict of anything inside it. Inconclusive ranks above NeedsReview: a file that
/// could not be read completely must never look better than one we understood.
/// </summary>
public enum Verdict
{
    Clean = 0,
    NeedsReview = 1,
    Inconclusive = 2,
    Malicious = 3,
}

public static class VerdictExtensions
{
    public static Verdict Worst(this Verdict a, Verdict b) => (Verdict)Math.Max((int)a, (int)b);

    public static string ToWire(this Verdict verdict) => verdict switch
    {
        Verdict.Clean => "clean",
        Verdict.NeedsReview => "needs-review",
        Verdict.Inconclusive => "inconclusive",
        Verdict.Malicious => "malicious",
        _ => throw new ArgumentOutOfRangeException(nameof(verdict), verdict, null),
    };
}
