using Rampart.TestKit;

namespace Rampart.Scanning.Tests.Analyzers.Notebook;

/// <summary>
/// Personal data in saved outputs (issue 18): digits of floats, rows of numbers, HTML markup, scripts and widget
/// state are not payment cards or phone numbers; real ones in text and HTML tables are still reported. And the
/// pip-install reader: backslash continuations and grouped short options.
/// </summary>
public sealed class NotebookPrecisionTests
{
    private static async Task<List<string>> PersonalData(params object[] outputs)
    {
        var bytes = new NotebookBuilder().Code("show()", outputs).Build();
        var report = await ScanHelper.ScanBytesAsync(bytes, "eda.ipynb");
        return [.. report.Findings.Where(f => f.RuleId.StartsWith("RAMP-PII", StringComparison.Ordinal)).Select(f => f.RuleId)];
    }

    public static TheoryData<string, object> NumberLookAlikes() => new()
    {
        { "float digits", NotebookBuilder.Result("tensor([0.4111111111111111, 0.5500000000000004])") },
        { "float with exponent", NotebookBuilder.Stream("loss: 3.4111111111111111e-05 lr: 1.0000000000000002e-04\n") },
        { "integer part of a float", NotebookBuilder.Stream("step 4111111111111111.0 reached\n") },
        { "numpy array row", NotebookBuilder.Result("array([4111111111111111, 5500000000000004, 340000000000009])") },
        { "dataframe of numbers", NotebookBuilder.Result("       id          hash\n0  4532015112830366  6011000990139424  378282246310005\n") },
        { "thousands separators", NotebookBuilder.Stream("total parameters: 1,234,567,890,123,456\n") },
        { "luhn run without issuer", NotebookBuilder.Stream("seed=1000000000000008 done\n") },
        { "phone-like float list", NotebookBuilder.Stream("[0.0123 4567 8901, +0.5 123 456 7890]\n") },
        { "html widget markup", NotebookBuilder.Display(("text/html", "<div id=\"4111111111111111\" data-ts=\"+1 415 555 0100\" class=\"widget\"></div>")) },
        { "html script", NotebookBuilder.Display(("text/html", "<script>var data = [4111111111111111, \"+44 20 7946 0958\"];</script><div>plot</div>")) },
        { "html style", NotebookBuilder.Display(("text/html", "<style>#t4111111111111111 td { color: red }</style><table></table>")) },
        { "widget view", NotebookBuilder.Display(("application/vnd.jupyter.widget-view+json", new Dictionary<string, object> { ["model_id"] = "4111111111111111", ["version_major"] = 2 }), ("text/plain", "IntProgress(value=0, max=100)\n")) },
        { "image", NotebookBuilder.Display(("image/png", "iVBORw0KGgo4111111111111111AAAANSUhEUg"), ("text/plain", "<Figure size 640x480 with 1 Axes>")) },
        { "html table of floats", NotebookBuilder.Result("   a  b", "<table><tr><td>0.4111111111111111</td><td>4532015112830366</td><td>6011000990139424</td></tr></table>") },
    };

    [Theory]
    [MemberData(nameof(NumberLookAlikes))]
    public async Task NumbersThatAreNotIdentifiers_AreQuiet(string shape, object output) =>
        (await PersonalData(output)).Should().BeEmpty(shape);

    public static TheoryData<string, object, string> RealPersonalData() => new()
    {
        { "card in text", NotebookBuilder.Stream("charged card 4111 1111 1111 1111 for order 17\n"), "RAMP-PII-003" },
        { "card in a customer table", NotebookBuilder.Result("   name   card  amount\n0  Jane  5500005555555559  23.50\n"), "RAMP-PII-003" },
        { "amex", NotebookBuilder.Stream("amex: 3782-822463-10005\n"), "RAMP-PII-003" },
        { "card in an html table", NotebookBuilder.Result("df", "<table><tr><th>name</th><th>card</th></tr><tr><td>Jane</td><td>4111111111111111</td></tr></table>"), "RAMP-PII-003" },
        { "phone in text", NotebookBuilder.Stream("call +1 415 555 0100 tomorrow\n"), "RAMP-PII-002" },
        { "phone in an html table", NotebookBuilder.Result("df", "<table><tr><td>Jane</td><td>+44 20 7946 0958</td></tr></table>"), "RAMP-PII-002" },
        { "email in html", NotebookBuilder.Display(("text/html", "<p>Contact: <b>jane.doe@contoso-mail.com</b></p>")), "RAMP-PII-001" },
    };

    [Theory]
    [MemberData(nameof(RealPersonalData))]
    public async Task RealIdentifiers_StillReported(string shape, object output, string rule) =>
        (await PersonalData(output)).Should().Contain(rule, shape);

    [Fact]
    public async Task SameValueInPlainAndHtml_ReportedOnce()
    {
        var found = await PersonalData(NotebookBuilder.Result("0  jane.doe@contoso-mail.com", "<table><tr><td>jane.doe@contoso-mail.com</td></tr></table>"));
        found.Should().Equal("RAMP-PII-001");
    }

    [Fact]
    public async Task SecretInsideHtmlScript_StillReported()
    {
        var bytes = new NotebookBuilder().Code("show()", NotebookBuilder.Display(("text/html", $"<script>const token = \"{FakeSecrets.HuggingFace}\";</script>"))).Build();
        var report = await ScanHelper.ScanBytesAsync(bytes, "app.ipynb");
        report.Findings.Should().Contain(f => f.RuleId == "RAMP-SECRET-001");
    }

    // ---- pip install -----------------------------------------------------------------------------------------------

    private static async Task<List<string>> PipFindings(string cell)
    {
        var report = await ScanHelper.ScanBytesAsync(new NotebookBuilder().Code(cell).Build(), "setup.ipynb");
        report.Artifacts.Single().Facts["notebook.parse-errors"].Should().Be("0");
        return [.. report.Findings.Where(f => f.RuleId == "RAMP-NB-001").Select(f => f.Property("name")!)];
    }

    [Theory]
    [InlineData("%pip install -r requirements.txt")]
    [InlineData("!pip install -qr requirements.txt")]
    [InlineData("!pip install -Ur requirements/base.txt -c constraints.txt")]
    [InlineData("%pip install --quiet -r requirements.txt --extra-index-url https://download.pytorch.org/whl/cu121")]
    [InlineData("!pip install torch==2.3.1 \\\n    transformers==4.44.2 \\\n    datasets==2.20.0")]
    [InlineData("!pip install -q \\\n  accelerate==0.33.0 peft==0.12.0")]
    [InlineData("!python -m pip install --target ./vendor numpy==1.26.4")]
    public async Task PinnedOrRequirementFiles_Quiet(string cell) =>
        (await PipFindings(cell)).Should().BeEmpty();

    [Theory]
    [InlineData("!pip install torch==2.3.1 \\\n    transformers \\\n    datasets==2.20.0", "transformers")]
    [InlineData("!pip install -q \\\n  accelerate peft==0.12.0", "accelerate")]
    [InlineData("%pip install -qr requirements.txt bitsandbytes", "bitsandbytes")]
    public async Task UnpinnedOnAContinuationLine_Reported(string cell, string package) =>
        (await PipFindings(cell)).Should().ContainSingle().Which.Should().Be(package);

    [Fact]
    public async Task ContinuationLines_AreNotParsedAsPython()
    {
        var report = await ScanHelper.ScanBytesAsync(new NotebookBuilder().Code("!pip install a==1 \\\n  b==2 \\\n  c==3\nimport torch\nm = torch.load(p)").Build(), "n.ipynb");
        report.Artifacts.Single().Facts["notebook.parse-errors"].Should().Be("0");
        report.Findings.Should().ContainSingle(f => f.RuleId == "RAMP-PY-001").Which.Location.Detail.Should().Be("cell 1, line 5");
    }
}
