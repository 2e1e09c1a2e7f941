using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Rampart.Integrity.Hashing;

namespace Rampart.Integrity.Signing;

/// <summary>The in-toto Statement v1 that a model signature carries, and the names it uses.</summary>
public static class Statement
{
    public const string StatementType = "https://in-toto.io/Statement/v1";

    public const string PredicateType = "https://model_signing/signature/v1.0";

    /// <summary>The pre-1.0 predicate (one subject per file); accepted on verification, as the reference does.</summary>
    public const string LegacyPredicateType = "https://model_signing/Digests/v0.1";

    /// <summary>
    /// The statement bytes as the reference lays them out (protobuf's JSON printer: two-space indent, ", " and ": "
    /// separators, non-ASCII escaped as \uXXXX). One deliberate difference: shard_size is written as an integer,
    /// which the reference's own verifier can use, where its float 1000.0 makes that verifier fail.
    /// </summary>
    public static byte[] Write(ModelManifest manifest)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        var s = manifest.Serialization;
        var w = new PythonJson();
        w.Open('{');
        w.Key("_type").String(StatementType).Comma();
        w.Key("subject").Open('[');
        w.Open('{');
        w.Key("name").String(manifest.ModelName).Comma();
        w.Key("digest").Open('{');
        w.Key("sha256").String(manifest.RootDigestHex);
        w.Close('}');
        w.Close('}');
        w.Close(']').Comma();
        w.Key("predicateType").String(PredicateType).Comma();
        w.Key("predicate").Open('{');
        w.Key("serialization").Open('{');
        w.Key("method").String(s.MethodName).Comma();
        w.Key("hash_type").String(s.HashType).Comma();
        if (s.ShardSize is { } shardSize)
        {
            w.Key("shard_size").Raw(shardSize.ToString(CultureInfo.InvariantCulture)).Comma();
        }

        w.Key("allow_symlinks").Raw(s.AllowSymlinks ? "true" : "false");
        if (!s.IgnorePaths.IsEmpty)
        {
            w.Comma().Key("ignore_paths").Open('[');
            for (var i = 0; i < s.IgnorePaths.Length; i++)
            {
                w.String(s.IgnorePaths[i]);
                if (i < s.IgnorePaths.Length - 1)
                {
                    w.Comma();
                }
            }

            w.Close(']');
        }

        w.Close('}').Comma();
        w.Key("resources").Open('[');
        for (var i = 0; i < manifest.Resources.Length; i++)
        {
            var r = manifest.Resources[i];
            w.Open('{');
            w.Key("name").String(r.Name).Comma();
            w.Key("algorithm").String(r.Algorithm).Comma();
            w.Key("digest").String(r.DigestHex);
            w.Close('}');
            if (i < manifest.Resources.Length - 1)
            {
                w.Comma();
            }
        }

        w.Close(']');
        w.Close('}');
        w.Close('}');
        return Encoding.ASCII.GetBytes(w.ToString());
    }

    /// <summary>
    /// Reads a signed statement into the manifest it describes. Checks, in this order: JSON, statement type, predicate
    /// type (v1.0 or the legacy v0.1), exactly one subject, the serialization, every resource, and that the subject's
    /// root digest is SHA-256 over the resource digests as listed. Throws <see cref="IntegrityException"/> naming the problem.
    /// </summary>
    public static ModelManifest Read(ReadOnlySpan<byte> payload)
    {
        using (var document = ParseJson(payload, "the signed statement"))
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new IntegrityException("the signed statement is not a JSON object");
            }

            var type = GetString(root, "_type", "statement");
            if (type != StatementType)
            {
                throw new IntegrityException($"the statement type is '{type}', expected '{StatementType}'");
            }

            var predicateType = GetString(root, "predicateType", "statement");
            if (predicateType == LegacyPredicateType)
            {
                return ReadLegacy(root);
            }

            if (predicateType != PredicateType)
            {
                throw new IntegrityException($"the predicate type is '{predicateType}', expected '{PredicateType}' (or the legacy '{LegacyPredicateType}')");
            }

            var subjects = Get(root, "subject", JsonValueKind.Array, "statement");
            if (subjects.GetArrayLength() != 1)
            {
                throw new IntegrityException($"the statement has {subjects.GetArrayLength()} subjects, expected exactly one");
            }

            var subject = subjects[0];
            var modelName = GetString(subject, "name", "subject");
            var expectedRoot = GetString(Get(subject, "digest", JsonValueKind.Object, "subject"), "sha256", "subject digest");
            var predicate = Get(root, "predicate", JsonValueKind.Object, "statement");
            var serialization = ReadSerialization(Get(predicate, "serialization", JsonValueKind.Object, "predicate"));
            var resources = new List<ResourceDigest>();
            var names = new HashSet<string>(StringComparer.Ordinal);
            foreach (var item in Get(predicate, "resources", JsonValueKind.Array, "predicate").EnumerateArray())
            {
                if (item.ValueKind != JsonValueKind.Object)
                {
                    throw new IntegrityException("a resource of the predicate is not an object");
                }

                var name = GetString(item, "name", "resource");
                var algorithm = GetString(item, "algorithm", $"resource '{name}'");
                var digest = Hex(GetString(item, "digest", $"resource '{name}'"), $"resource '{name}'");
                if (serialization.Method == SerializationMethod.Shards && ResourceNameComparer.SplitShard(name).Start < 0)
                {
                    throw new IntegrityException($"resource '{name}' is not a shard name (path:start:end)");
                }

                if (!names.Add(name))
                {
                    throw new IntegrityException($"resource '{name}' is listed twice");
                }

                resources.Add(new ResourceDigest(name, algorithm, [.. digest]));
            }

            var actualRoot = Convert.ToHexStringLower(ModelManifest.ComputeRootDigest(resources.Select(r => r.Digest)));
            if (!string.Equals(actualRoot, expectedRoot, StringComparison.OrdinalIgnoreCase))
            {
                throw new IntegrityException($"the statement is inconsistent: the subject digest is {expectedRoot} but its resources hash to {actualRoot}");
            }

            var ordered = resources.OrderBy(r => r.Name, ResourceNameComparer.For(serialization.Method)).ToImmutableArray();
            return new ModelManifest(modelName, ordered, serialization);
        }
    }

    private static ModelManifest ReadLegacy(JsonElement root)
    {
        var resources = new List<ResourceDigest>();
        foreach (var subject in Get(root, "subject", JsonValueKind.Array, "statement").EnumerateArray())
        {
            var name = GetString(subject, "name", "subject");
            var digest = Hex(GetString(Get(subject, "digest", JsonValueKind.Object, $"subject '{name}'"), "sha256", $"subject '{name}'"), $"subject '{name}'");
            resources.Add(new ResourceDigest(name, "sha256", [.. digest]));
        }

        return new ModelManifest(
            "compat-undefined-not-present",
            [.. resources.OrderBy(r => r.Name, ResourceNameComparer.Files)],
            new SerializationDescription(SerializationMethod.Files, "sha256", false, null, []));
    }

    private static SerializationDescription ReadSerialization(JsonElement s)
    {
        var method = GetString(s, "method", "serialization");
        var hashType = GetString(s, "hash_type", "serialization");
        if (!s.TryGetProperty("allow_symlinks", out var allow) || allow.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
        {
            throw new IntegrityException("the serialization has no boolean 'allow_symlinks'");
        }

        var ignore = ImmutableArray<string>.Empty;
        if (s.TryGetProperty("ignore_paths", out var paths))
        {
            if (paths.ValueKind != JsonValueKind.Array || paths.EnumerateArray().Any(p => p.ValueKind != JsonValueKind.String))
            {
                throw new IntegrityException("the serialization's 'ignore_paths' is not a list of strings");
            }

            ignore = [.. paths.EnumerateArray().Select(p => Text(p, "an ignore path"))];
        }

        switch (method)
        {
            case "files":
                return new SerializationDescription(SerializationMethod.Files, hashType, allow.GetBoolean(), null, ignore);
            case "shards":
                if (!s.TryGetProperty("shard_size", out var size) || size.ValueKind != JsonValueKind.Number)
                {
                    throw new IntegrityException("the shard serialization has no numeric 'shard_size'");
                }

                // The reference writes 1000.0 (a float) for 1000: accept any integral value.
                long shardSize;
                if (!size.TryGetInt64(out shardSize))
                {
                    var d = size.GetDouble();
                    if (d != Math.Floor(d) || d < 1 || d > 1e15)
                    {
                        throw new IntegrityException($"the shard size {size.GetRawText()} is not a whole positive number of bytes");
                    }

                    shardSize = (long)d;
                }

                if (shardSize <= 0)
                {
                    throw new IntegrityException($"the shard size {shardSize} is not positive");
                }

                return new SerializationDescription(SerializationMethod.Shards, hashType, allow.GetBoolean(), shardSize, ignore);
            default:
                throw new IntegrityException($"unknown serialization method '{method}' (expected files or shards)");
        }
    }

    internal static JsonElement Get(JsonElement parent, string name, JsonValueKind kind, string where)
    {
        if (!parent.TryGetProperty(name, out var value) || value.ValueKind != kind)
        {
            throw new IntegrityException($"the {where} has no {KindName(kind)} '{name}'");
        }

        return value;
    }

    internal static string GetString(JsonElement parent, string name, string where) => Text(Get(parent, name, JsonValueKind.String, where), $"'{name}' of the {where}");

    /// <summary>A JSON string's value; one that is not valid UTF-8/UTF-16 (a lone surrogate escape) is refused.</summary>
    internal static string Text(JsonElement value, string what)
    {
        try
        {
            return value.GetString()!;
        }
        catch (InvalidOperationException)
        {
            throw new IntegrityException($"{what} is not valid Unicode text");
        }
    }

    /// <summary>Parses JSON that must be valid UTF-8 as a whole (System.Text.Json only checks strings when read).</summary>
    internal static JsonDocument ParseJson(ReadOnlySpan<byte> json, string what)
    {
        if (!System.Text.Unicode.Utf8.IsValid(json))
        {
            throw new IntegrityException($"{what} is not valid UTF-8 JSON");
        }

        try
        {
            return JsonDocument.Parse(json.ToArray(), new JsonDocumentOptions { MaxDepth = 16 });
        }
        catch (JsonException e)
        {
            throw new IntegrityException($"{what} is not valid JSON ({e.Message})");
        }
    }

    private static string KindName(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Object => "object",
        JsonValueKind.Array => "list",
        _ => "string",
    };

    private static byte[] Hex(string text, string where)
    {
        try
        {
            if (text.Length is 0 or > 256)
            {
                throw new FormatException();
            }

            return Convert.FromHexString(text);
        }
        catch (FormatException)
        {
            throw new IntegrityException($"the digest of {where} is not hexadecimal");
        }
    }

    /// <summary>A minimal writer reproducing Python's json.dumps(indent=2, ensure_ascii=True) layout.</summary>
    private sealed class PythonJson
    {
        private readonly StringBuilder _text = new();
        private int _depth;
        private bool _inArray;
        private readonly Stack<bool> _arrays = new();

        public PythonJson Open(char bracket)
        {
            Item();
            _text.Append(bracket);
            _arrays.Push(_inArray);
            _inArray = bracket == '[';
            _depth++;
            _pendingFirst = true;
            return this;
        }

        private bool _pendingFirst;

        public PythonJson Close(char bracket)
        {
            _depth--;
            if (!_pendingFirst)
            {
                NewLine();
            }

            _pendingFirst = false;
            _text.Append(bracket);
            _inArray = _arrays.Pop();
            return this;
        }

        public PythonJson Key(string key)
        {
            NewLine();
            _pendingFirst = false;
            Escape(key);
            _text.Append(": ");
            _afterKey = true;
            return this;
        }

        private bool _afterKey;

        /// <summary>Starts an array element on its own line (a no-op right after a key).</summary>
        public PythonJson Item()
        {
            if (_afterKey)
            {
                _afterKey = false;
                return this;
            }

            if (_depth > 0)
            {
                NewLine();
                _pendingFirst = false;
            }

            return this;
        }

        public PythonJson String(string value)
        {
            Item();
            Escape(value);
            return this;
        }

        public PythonJson Raw(string value)
        {
            Item();
            _text.Append(value);
            return this;
        }

        public PythonJson Comma()
        {
            _text.Append(',');
            return this;
        }

        public override string ToString() => _text.ToString();

        private void NewLine() => _text.Append('\n').Append(' ', 2 * _depth);

        private void Escape(string value)
        {
            _text.Append('"');
            foreach (var c in value)
            {
                switch (c)
                {
                    case '"': _text.Append("\\\""); break;
                    case '\\': _text.Append("\\\\"); break;
                    case '\n': _text.Append("\\n"); break;
                    case '\r': _text.Append("\\r"); break;
                    case '\t': _text.Append("\\t"); break;
                    case '\b': _text.Append("\\b"); break;
                    case '\f': _text.Append("\\f"); break;
                    default:
                        if (c < 0x20 || c > 0x7e)
                        {
                            _text.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}");
                        }
                        else
                        {
                            _text.Append(c);
                        }

                        break;
                }
            }

            _text.Append('"');
        }
    }
}
