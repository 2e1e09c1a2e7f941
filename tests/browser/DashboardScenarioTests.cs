using System.Security.Cryptography;
using OtpNet;
using Rampart.Server.Tests;
using Xunit.Abstractions;

namespace Rampart.Browser.Tests;

/// <summary>
/// The dashboard in a real browser: a reviewer enrols TOTP and signs in with a real code, sees a hostile model
/// quarantined with its findings (markup in them inert), approves a clean model another user uploaded and sees it
/// released, opens an incident and works its playbook; every page is screenshotted and checked by axe-core.
/// </summary>
public sealed class DashboardScenarioTests(ITestOutputHelper output)
{
    /// <summary>Markup a hostile model carries into its findings: shown as text, never run.</summary>
    private const string Markup = "<script>document.title='pwned';alert(1)</script><img src=x onerror=alert(2)>";

    private readonly List<string> _accessibility = [];

    [ChromiumFact]
    public async Task Reviewer_QuarantineApprovalAndIncident_InTheBrowser()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateProjectAsync("fraud");
        await server.CreateProjectAsync("other");
        var admin = await server.AdminAsync();
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        (await admin.PostAsync("/api/v1/projects/fraud/keys", new { name = "ci-key", pem = Models.PublicPem(key) })).EnsureCreated();
        var scientist = await server.UserAsync("scientist", "fraud", "data-scientist");
        var reviewer = await server.UserAsync("reviewer", "fraud", "security-reviewer");

        // A hostile pickle (os.system) that also imports a "module" named with markup, and a clean signed model, both uploaded by the data scientist.
        var hostile = new Rampart.TestKit.PickleBuilder().Proto(2).Call("os", "system", "true").Pop().Call(Markup, "run", "x").Stop().ToArray();
        (await scientist.UploadAsync("fraud", "scorer", "1.0", "model.pkl", hostile, Models.Sign(hostile, "model.pkl", key))).EnsureCreated();
        var clean = Models.CleanSafetensors();
        (await scientist.UploadAsync("fraud", "scorer", "2.0", "model.safetensors", clean, Models.Sign(clean, "model.safetensors", key))).EnsureCreated();
        await scientist.WaitForGateAsync("fraud", "scorer", "1.0");
        await scientist.WaitForGateAsync("fraud", "scorer", "2.0");

        using var browser = new BrowserSession(server.Host.Address);

        // Strangers are sent to sign in.
        browser.Open("/ui/projects/fraud");
        browser.CurrentPath.Should().StartWith("/ui/sign-in?next=");
        Check(browser, "sign-in");

        // Password only: a reviewer without TOTP gets in, but reviewer work is refused until TOTP is enrolled.
        SignIn(browser, "reviewer", TestServer.Password, code: null);
        browser.Open("/ui/projects/fraud/incidents");
        browser.MainText.Should().Contain("TOTP");

        // Enrolment: the page shows the secret, its otpauth URI and a QR code drawn as SVG; a real code confirms it.
        browser.Open("/ui/account");
        browser.Click("form[action*='handler=Enrol'] button");
        browser.FindAll(".qr svg path").Should().ContainSingle();
        var secret = Base32Encoding.ToBytes(browser.Text("#secret"));
        browser.Text("#uri").Should().StartWith("otpauth://totp/Rampart:reviewer?secret=");
        Check(browser, "totp-enrolment");
        reviewer.Secret = secret;
        browser.Type("#code", reviewer.NextCode());
        browser.Click("form[action*='handler=Confirm'] button");
        browser.MainText.Should().Contain("TOTP is enrolled");

        // Sign out, then in again with password and a real TOTP code.
        browser.Click("header form.signout button");
        browser.CurrentPath.Should().StartWith("/ui/sign-in");
        SignIn(browser, "reviewer", TestServer.Password, reviewer.NextCode());
        browser.CurrentPath.Should().Be("/ui/");
        browser.MainText.Should().Contain("fraud").And.NotContain("other", "a reviewer of one project does not see the others");
        Check(browser, "projects");

        browser.Open("/ui/projects/fraud");
        browser.MainText.Should().Contain("ML security scorecard").And.Contain("Signed versions");
        browser.FindAll("svg.chart").Should().HaveCount(2);
        Check(browser, "project-scorecard");

        browser.Open("/ui/projects/fraud/queue");
        browser.MainText.Should().Contain("Waiting for review").And.Contain("2.0").And.Contain("1.0");
        Check(browser, "approval-queue");

        // The hostile version: quarantined, findings grouped by severity with the rule's explanation; its markup is text.
        browser.Open("/ui/projects/fraud/artifacts/scorer/versions/1.0");
        browser.Text("#state").Should().Be("quarantined");
        browser.Text("#findings").Should().Contain("critical").And.Contain("RAMP-");
        browser.Text("#findings").Should().Contain("<script>", "the finding's markup is shown as text");
        browser.AlertIsOpen().Should().BeFalse();
        browser.Title.Should().NotBe("pwned");
        browser.FindAll("main script, main img").Should().BeEmpty("nothing from a finding becomes an element");
        browser.FindAll("#approve").Should().BeEmpty("a quarantined version can only be rejected");
        Check(browser, "version-quarantined");
        browser.Click("#findings details summary");
        browser.Click("#findings details a");
        browser.CurrentPath.Should().StartWith("/ui/rules/RAMP-");
        Check(browser, "rule-page");

        // The clean version: signature verified, approved by the reviewer (not its uploader) and released.
        browser.Open("/ui/projects/fraud/artifacts/scorer/versions/2.0");
        browser.Text("#state").Should().Be("pending-review");
        browser.Text("#signature").Should().Be("verified");
        browser.Text("#bom").Should().Contain("safetensors");
        Check(browser, "version-pending");
        browser.Type("#note", "looks fine");
        browser.Click("#approve");
        browser.Text("#state").Should().Be("released");
        browser.MainText.Should().Contain("approved").And.Contain("reviewer");
        Check(browser, "version-released");
        (await scientist.GetAsync("/api/v1/projects/fraud/artifacts/scorer/versions/2.0")).Json["version"]!["state"]!.GetValue<string>().Should().Be("released");

        // An incident opened from the page, its playbook worked step by step; the title's markup stays text.
        browser.Open("/ui/projects/fraud/incidents");
        Check(browser, "incidents");
        browser.Type("#title", "Suspicious pickle " + Markup);
        browser.Click("#open-incident");
        browser.CurrentPath.Should().MatchRegex("^/ui/projects/fraud/incidents/[0-9]+$");
        browser.Find("h1").Text.Should().Contain("<script>");
        browser.AlertIsOpen().Should().BeFalse();
        var steps = browser.FindAll(".checklist li.todo");
        steps.Should().NotBeEmpty();
        var firstStep = steps[0].GetAttribute("id");
        browser.Click($"#{firstStep} button");
        browser.Find($"#{firstStep}").GetAttribute("class").Should().Be("done");
        browser.Text($"#{firstStep}").Should().Contain("done by reviewer");
        browser.Text(".timeline").Should().Contain("opened").And.Contain("step");
        Check(browser, "incident-playbook");

        // A gateway's events and a red-team report, sent with the data scientist's report token, drawn for the reviewer.
        using (var gateway = ApiClient.WithToken(server, await scientist.CreateTokenAsync("fraud", "report")))
        {
            var now = server.Time.GetUtcNow();
            var events = Enumerable.Range(0, 60).Select(i => new
            {
                time = now.AddMinutes(-17 * i),
                principal = i % 3 == 0 ? Markup : "analyst-" + (i % 4),
                route = "scoring",
                decision = i % 5 == 0 ? "blocked" : "allow",
                status = i % 5 == 0 ? 403 : 200,
                rules = i % 5 == 0 ? new[] { i % 2 == 0 ? "RAMP-GUARD-101" : "RAMP-GUARD-003" } : Array.Empty<string>(),
                drift = i % 7 == 0 ? new Dictionary<string, double> { ["amount"] = 0.05 * (i % 11), ["merchant_age"] = 0.02 * (i % 5) } : null,
            }).ToArray();
            (await gateway.PostAsync("/api/v1/projects/fraud/gateway/events", new { gateway = "gw-eu-1", events })).EnsureOk();
            var report = File.ReadAllText(Path.Combine(Rampart.TestKit.RepositoryPaths.Root, "examples", "threats", "fine-tuning-pipeline", "redteam.json"));
            (await gateway.SendAsync(HttpMethod.Post, "/api/v1/projects/fraud/redteam/runs", new StringContent(report, System.Text.Encoding.UTF8, "application/json"))).EnsureCreated();
        }

        browser.Open("/ui/projects/fraud/gateway");
        browser.Text("#requests-total").Should().Be("60");
        browser.FindAll("script").Should().BeEmpty("a principal named with markup stays text");
        Check(browser, "gateway-activity");
        browser.Open("/ui/projects/fraud/redteam");
        browser.Find("#families").Should().NotBeNull();
        Check(browser, "redteam-runs");
        browser.Open("/ui/projects/fraud");
        browser.Text("#last-redteam").Should().Contain("passed");

        // Another project's pages are refused, and an unknown project looks the same (no enumeration).
        browser.Open("/ui/projects/other");
        browser.MainText.Should().Contain("Not allowed");
        browser.Open("/ui/projects/no-such-project");
        browser.MainText.Should().Contain("Not allowed");
        browser.Open("/ui/admin");
        browser.MainText.Should().Contain("server administrators only");

        // The administrator (TOTP) sees users, tokens and the ledger's verification.
        browser.Open("/ui/account");
        browser.Click("header form.signout button");
        SignIn(browser, server.Options.AdminUserName, TestServer.AdminPassword, admin.NextCode());
        browser.Open("/ui/admin");
        browser.MainText.Should().Contain("reviewer").And.Contain("scientist");
        Check(browser, "admin");
        browser.Open("/ui/ledger");
        browser.Text("#ledger-state").Should().Be("verified");
        Check(browser, "ledger");
        browser.Open("/ui/account");
        Check(browser, "account");

        _accessibility.Should().BeEmpty("no page may have serious or critical accessibility violations");
    }

    private static void SignIn(BrowserSession browser, string user, string password, string? code)
    {
        if (!browser.CurrentPath.StartsWith("/ui/sign-in", StringComparison.Ordinal))
        {
            browser.Open("/ui/sign-in");
        }

        browser.Type("#userName", user);
        browser.Type("#password", password);
        if (code is not null)
        {
            browser.Type("#code", code);
        }

        browser.Click("form button[type=submit]");
    }

    /// <summary>Screenshot (a test artifact) and axe-core: serious and critical violations are collected for the final assertion.</summary>
    private void Check(BrowserSession browser, string page)
    {
        var shot = browser.Screenshot(page);
        foreach (var v in browser.Axe())
        {
            output.WriteLine($"axe {page}: {v.Impact} {v.Id} ({v.Help}) at {string.Join(" | ", v.Targets)}");
            if (v.Impact is "serious" or "critical")
            {
                _accessibility.Add($"{page}: {v.Id} {v.Help} at {string.Join(" | ", v.Targets)}");
            }
        }

        output.WriteLine($"{page}: {browser.CurrentPath} -> {shot}");
    }
}
