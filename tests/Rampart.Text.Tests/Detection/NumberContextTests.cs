using Rampart.TestKit;
using Rampart.Text.Detection;
using Rampart.Text.PersonalData;

namespace Rampart.Text.Tests.Detection;

/// <summary>
/// Payment cards by issuer prefix and length, digits that belong to a larger number, and placeholders and e-mail
/// addresses that are not secrets: the detectors the notebook reviewer, the dataset scan and the runtime guard share.
/// </summary>
public sealed class NumberContextTests
{
    private static List<TextHit> Pii(string text) => [.. TextDetectors.FindPii(text, TextPatterns.Default.Pii)];

    [Theory]
    [InlineData("4111111111111111", "Visa")]
    [InlineData("4222222222222", "Visa")]
    [InlineData("5500005555555559", "Mastercard")]
    [InlineData("2223003122003222", "Mastercard")]
    [InlineData("378282246310005", "American Express")]
    [InlineData("6011000990139424", "Discover")]
    [InlineData("3530111333300000", "JCB")]
    [InlineData("30569309025904", "Diners Club")]
    [InlineData("6200000000000005", "UnionPay")]
    public void PaymentCard_KnownSchemesAccepted(string digits, string scheme)
    {
        PiiValidators.CardScheme(digits).Should().Be(scheme);
        PiiValidators.PaymentCard(digits).Should().BeTrue();
    }

    [Theory]
    [InlineData("1000000000000008")] // Luhn-valid, no issuer starts with 1
    [InlineData("9000000000000001")] // nor with 9
    [InlineData("4111111111111")] // Visa prefix, Luhn fails
    [InlineData("37828224631003")] // Amex prefix but 14 digits
    [InlineData("55000055555555596")] // Mastercard prefix but 17 digits
    [InlineData("7000000000000005")]
    public void PaymentCard_LuhnRunsWithoutAnIssuerRejected(string digits)
    {
        PiiValidators.PaymentCard(digits).Should().BeFalse();
    }

    [Theory]
    [InlineData("x = 0.4111111111111111")]
    [InlineData("loss 4111111111111111.25")]
    [InlineData("lr 2.4111111111111111e-05")]
    [InlineData("1.5e-4111111111111111")]
    [InlineData("[4111111111111111, 5500005555555559, 6011000990139424]")]
    [InlineData("0    4532015112830366    12345678.5")]
    [InlineData("12,4111111111111111")]
    [InlineData("weights: -0.0123 4567 8901")]
    public void DigitsOfLargerNumbers_AreNotPersonalData(string line)
    {
        Pii(line).Should().BeEmpty();
    }

    [Theory]
    [InlineData("card: 4111 1111 1111 1111", "credit-card")]
    [InlineData("Jane  5500005555555559  23.50", "credit-card")]
    [InlineData("order 17, card 6011-0009-9013-9424, total 9.99", "credit-card")]
    [InlineData("call +44 20 7946 0958 now", "phone")]
    [InlineData("(415) 555-0100", "phone")]
    public void IdentifiersInOrdinaryText_StillFound(string line, string pattern)
    {
        Pii(line).Should().Contain(h => h.PatternId == pattern);
    }

    [Theory]
    [InlineData(1, 16, "a 0.4111111111111111 b", true)]
    [InlineData(2, 16, "a 4111111111111111 b", false)]
    [InlineData(0, 16, "4111111111111111 99999999", true)]
    [InlineData(0, 16, "4111111111111111 2024-01-01", false)]
    public void InNumberContext_LooksAtBothSides(int index, int length, string line, bool expected)
    {
        var at = line.IndexOf('4', StringComparison.Ordinal);
        PiiValidators.InNumberContext(line, at, length).Should().Be(expected, $"{index}");
    }

    [Theory]
    [InlineData("EMPTY")]
    [InlineData("empty")]
    [InlineData("none")]
    [InlineData("sk-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx")]
    [InlineData("sk-...")]
    [InlineData("your-key")]
    [InlineData("your_api_key_here")]
    [InlineData("<YOUR_TOKEN>")]
    [InlineData("${OPENAI_API_KEY}")]
    [InlineData("hf_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx")]
    [InlineData("changeme")]
    [InlineData("sk-no-key-required")]
    public void Placeholders_Recognised(string value)
    {
        TextDetectors.IsPlaceholder(value).Should().BeTrue();
    }

    [Fact]
    public void RealLookingKeys_AreNotPlaceholders()
    {
        TextDetectors.IsPlaceholder(FakeSecrets.OpenAi).Should().BeFalse();
        TextDetectors.IsPlaceholder(FakeSecrets.HuggingFace).Should().BeFalse();
        TextDetectors.IsPlaceholder(FakeSecrets.Generic).Should().BeFalse();
    }

    [Theory]
    [InlineData("author_email=\"jane.doe.research@university-lab.edu\",")]
    [InlineData("__author_email__ = 'jane.doe.research@university-lab.edu'")]
    [InlineData("maintainer_auth_contact = \"jane.doe.research@university-lab.edu\"")]
    [InlineData("OPENAI_API_KEY = \"sk-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"")]
    [InlineData("token = 'hf_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx'")]
    [InlineData("api_key = \"your_api_key_here_1234567\"")]
    public void AuthorEmailsAndPlaceholders_AreNotSecrets(string line)
    {
        TextDetectors.FindSecrets(line, TextPatterns.Default.Secrets).Should().BeEmpty();
    }

    [Fact]
    public void GenericSecretBesideAnAuthorEmail_StillFound()
    {
        var text = $"author_email = \"jane.doe.research@university-lab.edu\"\nauth_token = \"{FakeSecrets.Generic}\"\n";
        TextDetectors.FindSecrets(text, TextPatterns.Default.Secrets).Should().ContainSingle().Which.Line.Should().Be(2);
    }
}
