using System.Collections.Immutable;
using System.Text;
using System.Text.Json;
using Rampart.Guard.Checks;
using Rampart.Guard.Pipeline;
using Rampart.Guard.Protocols;
using Rampart.Text.Detection;

namespace Rampart.Guard.Streaming;

/// <summary>What one step of a guarded stream produced: bytes to send on, and whether the stream is over.</summary>
public readonly record struct SseStep(byte[] Output, bool Ended);

/// <summary>
/// Runs text checks over a streamed OpenAI-compatible answer (server-sent events, <c>data: {chunk}</c>), through a
/// sliding window so that a secret split across chunks is still seen whole.
/// <para>
/// Enforce mode holds back the last <see cref="HoldBack"/> characters of answer text: text is sent on only once that
/// many characters have arrived after it, so any match up to that length is complete before its first character
/// leaves. A redaction replaces the match (even one that runs into the held-back tail); a block ends the stream with
/// a well-formed error event (<c>data: {"error": {...}}</c>) and nothing after it. Chunks keep their JSON (ids,
/// roles, finish reasons); only the text field changes, so a held-back tail is flushed in a copy of the last text
/// chunk before a finish chunk or <c>[DONE]</c>. Monitor mode sends every byte unchanged and records what would have
/// happened.
/// </para>
/// Choices of an <c>n &gt; 1</c> stream share one window (their texts are judged together).
/// </summary>
public sealed class SseGuard
{
    private readonly GuardProtocol _protocol;
    private readonly ImmutableArray<ITextCheck> _checks;
    private readonly ProtocolLimits _limits;
    private readonly long _maxTextBytes;
    private readonly List<byte> _buffer = [];
    private readonly StringBuilder _pending = new();
    private readonly ImmutableArray<GuardSignal>.Builder _signals = ImmutableArray.CreateBuilder<GuardSignal>();
    private GuardBody? _template;
    private long _textBytes;
    private bool _ended;

    public SseGuard(GuardProtocol protocol, IEnumerable<ITextCheck> checks, GuardMode mode = GuardMode.Enforce, int holdBack = 256, long maxTextBytes = 0, ProtocolLimits? limits = null)
    {
        ArgumentNullException.ThrowIfNull(checks);
        _protocol = protocol;
        _checks = [.. checks.Where(c => c.AppliesTo(TextSource.ModelOutput))];
        Mode = mode;
        HoldBack = Math.Max(1, holdBack);
        _maxTextBytes = maxTextBytes;
        _limits = limits ?? ProtocolLimits.Default;
    }

    public GuardMode Mode { get; }

    public int HoldBack { get; }

    /// <summary>The strictest action the checks asked for so far.</summary>
    public GuardAction Requested { get; private set; }

    /// <summary>Every signal raised so far (each rule once per stream).</summary>
    public ImmutableArray<GuardSignal> Signals => _signals.ToImmutable();

    /// <summary>All answer text seen (before redaction), for the audit log's token estimate.</summary>
    public long TextCharacters { get; private set; }

    /// <summary>Feeds bytes from upstream; returns what to send to the caller now.</summary>
    public SseStep Push(ReadOnlySpan<byte> bytes)
    {
        if (_ended)
        {
            return new SseStep([], true);
        }

        var output = new List<byte>();
        if (Mode == GuardMode.Monitor)
        {
            output.AddRange(bytes.ToArray());
        }

        foreach (var b in bytes)
        {
            _buffer.Add(b);
        }

        while (!_ended && TryTakeEvent(out var raw))
        {
            var step = OnEvent(raw);
            if (Mode == GuardMode.Enforce)
            {
                output.AddRange(step);
            }
        }

        if (!_ended && _buffer.Count > _limits.MaxBodyBytes)
        {
            var blocked = Block(new GuardSignal(GuardRuleIds.ResponseTooLarge, 1, $"a stream event longer than {_limits.MaxBodyBytes} bytes"));
            if (Mode == GuardMode.Enforce)
            {
                output.AddRange(blocked);
            }
        }

        return new SseStep([.. output], _ended && Mode == GuardMode.Enforce);
    }

    /// <summary>The upstream stream ended (with or without <c>[DONE]</c>): flushes the held-back text.</summary>
    public SseStep Complete()
    {
        if (_ended)
        {
            return new SseStep([], true);
        }

        var output = Flush();
        _ended = true;
        return new SseStep(Mode == GuardMode.Enforce ? output : [], true);
    }

    private bool TryTakeEvent(out string raw)
    {
        for (var i = 0; i + 1 < _buffer.Count; i++)
        {
            if (_buffer[i] == '\n' && (_buffer[i + 1] == '\n' || (_buffer[i + 1] == '\r' && i + 2 < _buffer.Count && _buffer[i + 2] == '\n')))
            {
                var end = _buffer[i + 1] == '\n' ? i + 2 : i + 3;
                var bytes = _buffer.GetRange(0, end).ToArray();
                _buffer.RemoveRange(0, end);
                raw = Encoding.UTF8.GetString(bytes);
                return true;
            }
        }

        raw = "";
        return false;
    }

    private byte[] OnEvent(string raw)
    {
        var lines = raw.Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.Length > 0).ToList();
        var data = string.Join('\n', lines.Where(l => l.StartsWith("data:", StringComparison.Ordinal)).Select(l => l[5..].TrimStart(' ')));
        if (!lines.Any(l => l.StartsWith("data:", StringComparison.Ordinal)))
        {
            return Encoding.UTF8.GetBytes(raw); // comments, keep-alives, retry: passed on as they are
        }

        if (data == "[DONE]")
        {
            var flushed = Flush();
            _ended = true;
            return [.. flushed, .. Encoding.UTF8.GetBytes(raw)];
        }

        var read = ProtocolReader.ReadResponse(_protocol, Encoding.UTF8.GetBytes(data), "application/json", _limits);
        if (!read.Ok)
        {
            return Block(new GuardSignal(GuardRuleIds.UnreadableBody, 1, $"the upstream sent a stream event that is not a {_protocol} chunk ({read.Error!.Code})"));
        }

        var chunk = read.Body!;
        var texts = chunk.Payload.Texts().ToList();
        if (texts.Count == 0 || texts.All(t => t.Text.Length == 0))
        {
            // A role-only first chunk or the finish chunk: held-back text goes out before it.
            return [.. (IsFinish(data) ? Flush() : []), .. Encoding.UTF8.GetBytes(raw)];
        }

        _template = chunk;
        foreach (var text in texts)
        {
            _pending.Append(text.Text);
            TextCharacters += text.Text.Length;
            _textBytes += Encoding.UTF8.GetByteCount(text.Text);
        }

        if (_maxTextBytes > 0 && _textBytes > _maxTextBytes && !_signals.Any(s => s.RuleId == GuardRuleIds.ResponseTooLarge))
        {
            return Block(new GuardSignal(GuardRuleIds.ResponseTooLarge, 1, $"the streamed answer passed {_maxTextBytes} bytes"));
        }

        // A chunk that carries text and a finish reason is the last one with text: everything goes out with it.
        return Emit(final: IsFinish(data));
    }

    private static bool IsFinish(string data)
    {
        try
        {
            return System.Text.Json.Nodes.JsonNode.Parse(data) is System.Text.Json.Nodes.JsonObject o && o["choices"] is System.Text.Json.Nodes.JsonArray choices
                && choices.Any(c => c is System.Text.Json.Nodes.JsonObject choice && choice["finish_reason"] is System.Text.Json.Nodes.JsonValue v && v.GetValueKind() == JsonValueKind.String);
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private byte[] Flush() => _pending.Length == 0 || _template is null ? [] : Emit(final: true);

    /// <summary>Runs the checks over the window and sends on what is older than the hold-back (everything when final).</summary>
    private byte[] Emit(bool final)
    {
        var window = _pending.ToString();
        var boundary = final ? window.Length : window.Length - HoldBack;
        if (boundary <= 0)
        {
            return [];
        }

        var redactions = new List<(int Index, int Length, string Label)>();
        foreach (var check in _checks)
        {
            foreach (var finding in check.Check(window, TextSource.ModelOutput))
            {
                if (finding.Action == GuardAction.Block)
                {
                    var blocked = Block(finding.Signal with { CheckId = check.Id });
                    if (Mode == GuardMode.Monitor)
                    {
                        _pending.Remove(0, boundary);
                    }

                    return blocked;
                }

                // A finding that starts in the held-back tail is judged again when more text has arrived.
                if (finding.Length > 0 && finding.Index >= boundary)
                {
                    continue;
                }

                Record(finding.Action, finding.Signal with { CheckId = check.Id });
                if (finding.Action == GuardAction.Redact && finding.Length > 0)
                {
                    redactions.Add((finding.Index, finding.Length, finding.Signal.RuleId));
                }
            }
        }

        // A redaction that runs past the boundary takes the rest of its match with it.
        var cut = Math.Max(boundary, redactions.Count == 0 ? 0 : redactions.Max(r => r.Index + r.Length));
        var sent = TextRedaction.Apply(window[..cut], redactions.Where(r => r.Index + r.Length <= cut));
        _pending.Remove(0, cut);
        return sent.Length == 0 ? [] : Event(sent);
    }

    private byte[] Event(string text)
    {
        var replacements = _template!.Payload.Texts().ToDictionary(t => t.Index, t => t.Index == 0 ? text : "");
        return [.. "data: "u8, .. _template.Write(_template.Payload.WithTexts(replacements)), .. "\n\n"u8];
    }

    private void Record(GuardAction action, GuardSignal signal)
    {
        Requested = (GuardAction)Math.Max((int)Requested, (int)action);
        if (!_signals.Any(s => s.RuleId == signal.RuleId && s.Reason == signal.Reason))
        {
            _signals.Add(signal);
        }
    }

    private byte[] Block(GuardSignal signal)
    {
        Record(GuardAction.Block, signal);
        if (Mode == GuardMode.Monitor)
        {
            return [];
        }

        _ended = true;
        _pending.Clear();
        return ErrorEvent("the answer was stopped by the gateway's guard policy", signal.RuleId);
    }

    /// <summary>A well-formed SSE error event in the OpenAI error shape.</summary>
    public static byte[] ErrorEvent(string message, string code)
    {
        using var stream = new MemoryStream();
        stream.Write("data: "u8);
        using (var writer = new Utf8JsonWriter(stream))
        {
            writer.WriteStartObject();
            writer.WriteStartObject("error");
            writer.WriteString("message", message);
            writer.WriteString("type", "guard_blocked");
            writer.WriteString("code", code);
            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        stream.Write("\n\n"u8);
        return stream.ToArray();
    }
}
