using System.Text;
using System.Text.Json;
using Rampart.Core;
using Rampart.TestKit;
using Rampart.TestKit.Fixtures;
using Xunit.Abstractions;

namespace Rampart.Interop.Tests;

/// <summary>
/// Proves the chat-template rules against the real renderer (Debian's python3-jinja2): every hostile template runs its
/// payload (creates a marker file) in an unsandboxed jinja2.Environment, the ImmutableSandboxedEnvironment refuses it
/// with a SecurityError before the payload runs, and Rampart calls the GGUF carrying it Malicious. Every benign family
/// renders a sample conversation in both environments and is Clean.
/// </summary>
public sealed class ChatTemplateInteropTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private sealed record Attempt(string Status, string Error, string Output, bool Marker);

    private sealed record Rendering(Attempt Sandbox, Attempt Unsafe);

    private static async Task<Rendering> RenderAsync(string folder, string template, string marker)
    {
        var file = Path.Combine(folder, "template.jinja");
        await File.WriteAllTextAsync(file, template, Encoding.UTF8);
        var script = Path.Combine(PythonEnvironment.ScriptsFolder, "render_template.py");
        var result = await ProcessRunner.RunCheckedAsync(PythonEnvironment.SystemPython, [script, file, marker], folder, Timeout);
        using var json = JsonDocument.Parse(result.StandardOutput);
        static Attempt Read(JsonElement e) => new(e.GetProperty("status").GetString()!, e.GetProperty("error").GetString()!, e.GetProperty("output").GetString()!, e.GetProperty("marker").GetBoolean());
        return new Rendering(Read(json.RootElement.GetProperty("sandbox")), Read(json.RootElement.GetProperty("unsafe")));
    }

    [PythonFact("jinja2", NeedsAnalyzers = true)]
    public async Task HostileTemplates_UnsafeRunsPayload_SandboxRefuses_RampartMalicious()
    {
        using var dir = new TempDirectory();
        var marker = dir.File("marker");
        var variants = ChatTemplates.Hostile(marker);
        variants.Count.Should().BeGreaterThanOrEqualTo(8);
        var failures = new List<string>();
        foreach (var (name, template) in variants)
        {
            File.Delete(marker);
            var rendering = await RenderAsync(dir.Path, template, marker);
            File.Delete(marker);
            var report = await ScanHelper.ScanBytesAsync(GgufFixtures.WithTemplate(template), "model.gguf");
            var rules = string.Join(",", report.Findings.Select(f => f.RuleId).Distinct());
            output.WriteLine($"{name,-30} sandbox={rendering.Sandbox.Status,-15} sandbox-marker={rendering.Sandbox.Marker,-5} unsafe={rendering.Unsafe.Status,-6} unsafe-marker={rendering.Unsafe.Marker,-5} rampart={report.Verdict} [{rules}]");
            if (rendering.Sandbox.Status != "security-error" || rendering.Sandbox.Marker)
            {
                failures.Add($"{name}: the sandbox did not refuse it ({rendering.Sandbox.Status} {rendering.Sandbox.Error}, marker {rendering.Sandbox.Marker})");
            }

            if (!rendering.Unsafe.Marker)
            {
                failures.Add($"{name}: the unsandboxed renderer did not run the payload ({rendering.Unsafe.Status} {rendering.Unsafe.Error}): the fixture is wrong");
            }

            if (report.Verdict != Verdict.Malicious)
            {
                failures.Add($"{name}: Rampart said {report.Verdict} [{rules}]");
            }
        }

        Problems.AssertNone(failures, "hostile chat templates not proven");
    }

    [PythonFact("jinja2", NeedsAnalyzers = true)]
    public async Task BenignFamilies_RenderInBothEnvironments_RampartClean()
    {
        using var dir = new TempDirectory();
        var marker = dir.File("marker");
        var failures = new List<string>();
        foreach (var (name, template) in ChatTemplates.Benign)
        {
            var rendering = await RenderAsync(dir.Path, template, marker);
            var report = await ScanHelper.ScanBytesAsync(GgufFixtures.WithTemplate(template), "model.gguf");
            output.WriteLine($"{name,-12} sandbox={rendering.Sandbox.Status} unsafe={rendering.Unsafe.Status} chars={rendering.Unsafe.Output.Length} rampart={report.Verdict}");
            if (rendering.Sandbox.Status != "ok" || rendering.Unsafe.Status != "ok" || !rendering.Unsafe.Output.Contains("Paris", StringComparison.Ordinal))
            {
                failures.Add($"{name}: did not render the sample conversation (sandbox {rendering.Sandbox.Status} {rendering.Sandbox.Error}; unsafe {rendering.Unsafe.Status} {rendering.Unsafe.Error})");
            }

            if (report.Verdict != Verdict.Clean)
            {
                failures.Add($"{name}: Rampart said {report.Verdict}: {string.Join("; ", report.Findings.Select(f => f.RuleId + " " + f.Message))}");
            }
        }

        Problems.AssertNone(failures, "benign chat template families not proven");
    }
}
