namespace Rampart.TestKit.Fixtures;

/// <summary>Fixtures for the GGUF analyzer's rules (RAMP-GGUF-*), chat template rules included.</summary>
public sealed class GgufFixtures : IFixtureSource
{
    /// <summary>A small llama-like model: general.* keys, a ChatML template, an F32 and a Q4_K tensor.</summary>
    public static GgufBuilder Model(string? template = ChatTemplates.ChatMl) =>
        (template is null ? new GgufBuilder().Llama() : new GgufBuilder().Llama().ChatTemplate(template))
            .Meta("tokenizer.ggml.tokens", GgufBuilder.ValueType.Array, new GgufBuilder.TypedArray(GgufBuilder.ValueType.String, ["<s>", "</s>", "a", "b"]))
            .Meta("tokenizer.ggml.scores", GgufBuilder.ValueType.Array, new GgufBuilder.TypedArray(GgufBuilder.ValueType.Float32, [0f, 0f, -1f, -2f]))
            .F32("output_norm.weight", 8)
            .Tensor("blk.0.attn_q.weight", [256, 2], 12, 2 * 144);

    public static byte[] WithTemplate(string template) => Model(template).Build();

    public IEnumerable<Fixture> Fixtures =>
    [
        new("gguf/llama-chatml", "model.gguf", () => Model().Build()),
        new("gguf/llama3-template", "model.gguf", () => WithTemplate(ChatTemplates.Llama32)),
        new("gguf/trailing-pickle", "model.gguf", () => Model().Trailing(PickleBuilder.CallPickle("os", "system", "touch /tmp/rampart-marker")).Build()),
        new("gguf/duplicate-keys", "model.gguf", () => Model().String("general.name", "Second name").Build()),
        new("gguf/template-dunder", "model.gguf", () => WithTemplate(ChatTemplates.Hostile("/tmp/rampart-marker")["direct-dunder-chain"])),
        new("gguf/template-built-name", "model.gguf", () => WithTemplate(ChatTemplates.Hostile("/tmp/rampart-marker")["attr-built-from-pieces"])),
        new("gguf/template-computed-name", "model.gguf", () => WithTemplate("{% for message in messages %}{{ message|attr(message['role'] ~ '_text') }}{% endfor %}")),
        new("gguf/template-server-object", "model.gguf", () => WithTemplate("{{ config.items() }}")),
        new("gguf/template-include", "model.gguf", () => WithTemplate("{% include 'header.jinja' %}" + ChatTemplates.ChatMl)),
        new("gguf/template-eval-call", "model.gguf", () => WithTemplate("{{ eval('1 + 1') }}")),
        new("gguf/template-invalid", "model.gguf", () => WithTemplate("{% for message in messages %}{{ message['content'] }")),
    ];
}

/// <summary>Fixtures for the chat-template file analyzer (tokenizer_config.json, chat_template.jinja).</summary>
public sealed class ChatTemplateFileFixtures : IFixtureSource
{
    public IEnumerable<Fixture> Fixtures =>
    [
        new("chat-template/tokenizer-config-llama3", "tokenizer_config.json", () =>
            System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, string> { ["bos_token"] = "<|begin_of_text|>", ["chat_template"] = ChatTemplates.Llama3 })),
        new("chat-template/jinja-hostile", "chat_template.jinja", () =>
            System.Text.Encoding.UTF8.GetBytes(ChatTemplates.Hostile("/tmp/rampart-marker")["for-over-computed-attribute"])),
    ];
}
