using System.Text.Json;
using OpenQA.Selenium;
using OpenQA.Selenium.Chrome;
using Rampart.TestKit;

namespace Rampart.Browser.Tests;

/// <summary>A test that needs Debian's chromium and chromium-driver; skipped with a printed reason when either is absent.</summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public sealed class ChromiumFactAttribute : FactAttribute
{
    public const string Chromium = "/usr/bin/chromium";
    public const string Driver = "/usr/bin/chromedriver";

    public ChromiumFactAttribute()
    {
        if (!File.Exists(Chromium) || !File.Exists(Driver))
        {
            Skip = $"{Chromium} or {Driver} is missing: install Debian's chromium and chromium-driver (.ci/run does)";
        }
    }
}

/// <summary>What axe-core reports for a page: how many rules passed, and the violations.</summary>
public sealed record AxeResult(int Passes, IReadOnlyList<AxeViolation> Violations);

/// <summary>One axe-core violation, as the tests report it.</summary>
public sealed record AxeViolation(string Id, string? Impact, string Help, IReadOnlyList<string> Targets);

/// <summary>
/// Headless chromium driven over WebDriver, as the user would: typing, clicking, reading what is shown. Screenshots
/// go to tests/browser/TestResults/screenshots (the CI artifacts); axe-core is injected from the vendored copy.
/// </summary>
internal sealed class BrowserSession : IDisposable
{
    private static readonly JsonSerializerOptions Web = new(JsonSerializerDefaults.Web);
    private readonly ChromeDriver _driver;
    private readonly Uri _base;

    public BrowserSession(Uri serverAddress)
    {
        // http://localhost is a secure context in chromium, so the server's Secure __Host- cookies are kept as they are
        // behind the TLS proxy of a deployment.
        _base = new UriBuilder(serverAddress) { Host = "localhost" }.Uri;
        var options = new ChromeOptions { BinaryLocation = ChromiumFactAttribute.Chromium };
        options.AddArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1280,1000", "--lang=en-US");
        var service = ChromeDriverService.CreateDefaultService(Path.GetDirectoryName(ChromiumFactAttribute.Driver)!, Path.GetFileName(ChromiumFactAttribute.Driver));
        service.SuppressInitialDiagnosticInformation = true;
        service.HideCommandPromptWindow = true;
        _driver = new ChromeDriver(service, options, TimeSpan.FromSeconds(120));
        _driver.Manage().Timeouts().PageLoad = TimeSpan.FromSeconds(120);
        _driver.Manage().Timeouts().AsynchronousJavaScript = TimeSpan.FromSeconds(120);
    }

    public static string ScreenshotFolder => Path.Combine(RepositoryPaths.Root, "tests", "browser", "TestResults", "screenshots");

    public IWebDriver Driver => _driver;

    public string CurrentPath => new Uri(_driver.Url).PathAndQuery;

    public void Open(string path) => _driver.Navigate().GoToUrl(new Uri(_base, path));

    public IWebElement Find(string css) => _driver.FindElement(By.CssSelector(css));

    public IReadOnlyList<IWebElement> FindAll(string css) => _driver.FindElements(By.CssSelector(css));

    public string Text(string css) => Find(css).Text;

    public string MainText => Find("main").Text;

    public void Type(string css, string text)
    {
        var element = Find(css);
        element.Clear();
        element.SendKeys(text);
    }

    /// <summary>
    /// Clicks; where the element is a link or a form button (the dashboard has no script, so those always load a page),
    /// waits until the old page is gone. Without the wait, the next Find could return an element of the old page, which
    /// goes stale under the test's hands (seen in CI).
    /// </summary>
    public void Click(string css)
    {
        var element = Find(css);
        var navigates = element.TagName is "a" or "button" || element.GetAttribute("type") == "submit";
        var page = navigates ? Find("html") : null;
        element.Click();
        if (page is not null)
        {
            WaitUntilStale(page, css);
        }
    }

    private static readonly TimeSpan NavigationTimeout = TimeSpan.FromSeconds(30);

    private static void WaitUntilStale(IWebElement page, string clicked)
    {
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (waited.Elapsed < NavigationTimeout)
        {
            try
            {
                _ = page.Enabled;
            }
            catch (StaleElementReferenceException)
            {
                return;
            }

            Thread.Sleep(50);
        }

        throw new TimeoutException($"clicking '{clicked}' loaded no new page within {NavigationTimeout.TotalSeconds} s");
    }

    public string Title => _driver.Title;

    /// <summary>Saves a PNG of the page under <see cref="ScreenshotFolder"/>; returns its path.</summary>
    public string Screenshot(string name)
    {
        Directory.CreateDirectory(ScreenshotFolder);
        var path = Path.Combine(ScreenshotFolder, name + ".png");
        _driver.GetScreenshot().SaveAsFile(path);
        return path;
    }

    /// <summary>Runs axe-core (WCAG 2.0/2.1 A and AA rules) on the current page; returns the violations.</summary>
    public IReadOnlyList<AxeViolation> Axe()
    {
        var source = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "vendor", "axe.min.js"));
        _driver.ExecuteScript(source);
        var json = (string?)_driver.ExecuteAsyncScript("""
            const done = arguments[arguments.length - 1];
            axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] } })
               .then(r => done(JSON.stringify({ passes: r.passes.length, violations: r.violations.map(v => ({ id: v.id, impact: v.impact, help: v.help, targets: v.nodes.map(n => n.target.join(' ')) })) })))
               .catch(e => done(JSON.stringify({ passes: 0, violations: [{ id: 'axe-error', impact: 'critical', help: String(e), targets: [] }] })));
            """);
        var result = JsonSerializer.Deserialize<AxeResult>(json ?? throw new InvalidOperationException("axe returned nothing"), Web) ?? throw new InvalidOperationException("axe returned null");
        if (result.Passes == 0 && result.Violations.Count == 0)
        {
            throw new InvalidOperationException("axe checked nothing on this page");
        }

        return result.Violations;
    }

    /// <summary>Whether a JavaScript dialog (alert/confirm) is open: injected script would have raised one.</summary>
    public bool AlertIsOpen()
    {
        try
        {
            _ = _driver.SwitchTo().Alert().Text;
            return true;
        }
        catch (NoAlertPresentException)
        {
            return false;
        }
    }

    public void Dispose()
    {
        _driver.Quit();
        _driver.Dispose();
    }
}
