using Rampart.TestKit;
using Rampart.Text.Detection;
using Rampart.Text.PersonalData;

namespace Rampart.Text.Tests.Detection;

public sealed class TextDetectorsTests
{
    [Theory]
    [InlineData("4111111111111111", "luhn", true)]
    [InlineData("4111111111111112", "luhn", false)]
    [InlineData("GB82 WEST 1234 5698 7654 32", "iban", true)]
    [InlineData("GB82 WEST 1234 5698 7654 33", "iban", false)]
    [InlineData("536-22-1234", "us-ssn", true)]
    [InlineData("666-22-1234", "us-ssn", false)]
    [InlineData("900-22-1234", "us-ssn", false)]
    [InlineData("AB 12 34 56 C", "uk-nino", true)]
    [InlineData("GB 12 34 56 C", "uk-nino", false)]
    [InlineData("1 85 05 78 006 084 91", "fr-insee", true)]
    [InlineData("1 85 05 78 006 084 92", "fr-insee", false)]
    [InlineData("86095742719", "de-taxid", true)]
    [InlineData("86095742718", "de-taxid", false)]
    [InlineData("234123412346", "in-aadhaar", true)]
    [InlineData("234123412345", "in-aadhaar", false)]
    public void Validators_AcceptValidRejectInvalid(string value, string validator, bool valid)
    {
        PiiValidators.Validate(validator, value).Should().Be(valid);
    }

    [Fact]
    public void Redact_ShowsAtMostAThirdAndTheLength()
    {
        var redacted = TextDetectors.Redact("hf_abcdefghijklmnopqrstuvwxyz0123456789", 5);
        redacted.Should().Be("hf_ab…(39 chars)");
        TextDetectors.Redact("abc", 5).Should().Be("a…(3 chars)");
    }

    [Fact]
    public void FindSecrets_ReportsOffsetsOfTheValueInTheWholeText()
    {
        var token = FakeSecrets.HuggingFace;
        var text = "first line\r\nsecond: token=" + token + " end\n";
        var hit = TextDetectors.FindSecrets(text, TextPatterns.Default.Secrets).Should().ContainSingle().Subject;
        text.Substring(hit.Index, hit.Length).Should().Be(token);
        hit.Line.Should().Be(2);
        hit.Column.Should().Be("second: token=".Length + 1);
        hit.Kind.Should().Be(TextHitKind.Secret);
        hit.Redacted.Should().NotContain(token[5..]);
    }

    [Fact]
    public void RedactAll_ReplacesEveryValueAndKeepsTheRest()
    {
        var text = $"mail alice@corp-mail.net, card 4111 1111 1111 1111 and key {FakeSecrets.OpenAi}.";
        var hits = TextDetectors.FindPii(text, TextPatterns.Default.Pii).Concat(TextDetectors.FindSecrets(text, TextPatterns.Default.Secrets)).ToList();
        hits.Select(h => h.Kind).Should().Contain([TextHitKind.Secret, TextHitKind.PersonalData]);
        var redacted = TextDetectors.RedactAll(text, hits);
        redacted.Should().NotContain("alice@corp-mail.net").And.NotContain("4111 1111 1111 1111").And.NotContain(FakeSecrets.OpenAi);
        redacted.Should().StartWith("mail [REDACTED:email], card [REDACTED:credit-card] and key [REDACTED:");
        redacted.Should().EndWith("].");
    }

    [Fact]
    public void FindPii_LuhnInvalidDigitsAreNotACard()
    {
        TextDetectors.FindPii("order 4111 1111 1111 1112 shipped", TextPatterns.Default.Pii).Should().BeEmpty();
    }

    [Fact]
    public void Patterns_UnknownKeyIsRejected()
    {
        using var doc = System.Text.Json.JsonDocument.Parse("""{"secrets":[{"id":"x","rule":"RAMP-SECRET-001","title":"t","regex":"(?<s>a)","bogus":1}]}""");
        var act = () => TextPatterns.Parse(new Dictionary<string, System.Text.Json.JsonElement> { ["t.json"] = doc.RootElement });
        act.Should().Throw<InvalidDataException>().WithMessage("*unknown key 'bogus'*");
    }
}
