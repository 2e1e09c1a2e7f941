using System.Text;
using System.Text.Json;
using Rampart.Core;
using Rampart.Scanning.Analyzers.ChatTemplate;
using Rampart.Scanning.Analyzers.Gguf.Jinja;
using Rampart.Scanning.Engine;
using Rampart.TestKit;

namespace Rampart.Scanning.Tests.Analyzers.ChatTemplate;

public sealed class ChatTemplateFileAnalyzerTests
{
    private static byte[] TokenizerConfig(object chatTemplate) =>
        JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object> { ["bos_token"] = "<s>", ["chat_template"] = chatTemplate, ["model_max_length"] = 4096 });

    [Fact]
    public async Task Analyze_TokenizerConfigWithBenignTemplate_Clean()
    {
        var report = await ScanHelper.ScanBytesAsync(TokenizerConfig(ChatTemplates.Qwen25), "tokenizer_config.json");

        report.Findings.Should().BeEmpty();
        report.Artifacts.Single().Facts["chat-template.templates"].Should().Be("1");
    }

    [Fact]
    public async Task Analyze_TokenizerConfigWithHostileTemplate_Malicious()
    {
        var report = await ScanHelper.ScanBytesAsync(TokenizerConfig(ChatTemplates.Hostile("/tmp/m")["join-of-list"]), "tokenizer_config.json");

        report.Verdict.Should().Be(Verdict.Malicious);
        report.Findings.Should().Contain(f => f.RuleId == ChatTemplateCheck.BuiltName && f.Property("template") == "chat_template");
    }

    [Fact]
    public async Task Analyze_NamedTemplateList_EachChecked()
    {
        var list = new[] { new { name = "default", template = ChatTemplates.ChatMl }, new { name = "tool_use", template = "{{ x.__class__ }}" } };

        var report = await ScanHelper.ScanBytesAsync(TokenizerConfig(list), "tokenizer_config.json");

        report.Findings.Should().ContainSingle(f => f.RuleId == ChatTemplateCheck.InternalAttribute).Which.Property("template").Should().Be("chat_template.tool_use");
        report.Artifacts.Single().Facts["chat-template.templates"].Should().Be("2");
    }

    [Fact]
    public async Task Analyze_JinjaFile_Checked()
    {
        var report = await ScanHelper.ScanBytesAsync(Encoding.UTF8.GetBytes("{% include 'x' %}"), "chat_template.jinja");

        report.Findings.Should().Contain(f => f.RuleId == ChatTemplateCheck.TemplateLoad);
    }

    [Fact]
    public async Task Analyze_ConfigWithoutTemplate_Clean()
    {
        var report = await ScanHelper.ScanBytesAsync("{\"model_max_length\": 1024}"u8.ToArray(), "tokenizer_config.json");

        report.Findings.Should().BeEmpty();
        report.Artifacts.Single().Facts["chat-template.templates"].Should().Be("0");
    }

    [Theory]
    [InlineData("{\"chat_template\": ", "not well-formed")]
    [InlineData("{\"chat_template\": 5}", "not a string")]
    [InlineData("{\"chat_template\": \"{% if x %}\"}", "not valid Jinja")]
    public async Task Analyze_Malformed_Inconclusive(string json, string reason)
    {
        var report = await ScanHelper.ScanBytesAsync(Encoding.UTF8.GetBytes(json), "tokenizer_config.json");

        report.Findings.Should().Contain(f => f.RuleId == RuleIds.ParseError && f.Message.Contains(reason));
    }

    [Fact]
    public async Task Analyze_InvalidUtf8InsideString_InconclusiveNotFailure()
    {
        byte[] bytes = [.. "{\"chat_template\": \"ab"u8.ToArray(), 0xFF, 0xFE, .. "\"}"u8.ToArray()];

        var report = await ScanHelper.ScanBytesAsync(bytes, "tokenizer_config.json");

        report.Findings.Should().ContainSingle(f => f.RuleId == RuleIds.ParseError).Which.Message.Should().Contain("UTF-8");
    }

    [Theory]
    [InlineData("config.json", "{\"chat_template\": \"x\"}", false)]
    [InlineData("tokenizer_config.json", "[1, 2]", false)]
    [InlineData("tokenizer_config.json", " {\"a\": 1}", true)]
    [InlineData("chat_template.jinja", "{{ x }}", true)]
    [InlineData("template.jinja", "{{ x }}", false)]
    public void CanAnalyze_ByNameAndContent(string name, string content, bool expected)
    {
        var artifact = ArtifactFactory.FromBytes(name, null, 0, Encoding.UTF8.GetBytes(content), name);

        new ChatTemplateFileAnalyzer().CanAnalyze(artifact).Should().Be(expected);
    }
}
