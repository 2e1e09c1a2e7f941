namespace Rampart.Scanning.Analyzers.TorchScript;

/// <summary>A dotted name as it appears in source (<c>torch.ops.my_ops.fused</c>), with the line it starts on.</summary>
internal readonly record struct NameChain(IReadOnlyList<string> Parts, int Line)
{
    public override string ToString() => string.Join('.', Parts);
}

/// <summary>
/// A small Python tokenizer for the code TorchScript serializes: skips comments and string literals (every prefix
/// and quote form, triple-quoted included), numbers and operators, and yields the dotted name chains
/// (identifier ( '.' identifier )*). Matching on tokens rather than raw text means a name inside a string or a
/// comment is not a reference, and a reference split by spaces or line breaks around the dots is still one.
/// </summary>
internal static class TorchScriptTokenizer
{
    public static List<NameChain> Chains(string source, CancellationToken cancellationToken)
    {
        var done = new List<NameChain>();
        var i = 0;
        var line = 1;
        var current = new List<string>();
        var currentLine = 1;
        var expectName = false;
        while (i < source.Length)
        {
            if ((i & 0xffff) == 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
            }

            var c = source[i];
            if (c == '\n')
            {
                line++;
                i++;
                continue;
            }

            if (char.IsWhiteSpace(c) || c == '\\')
            {
                i++;
                continue;
            }

            if (c == '#')
            {
                while (i < source.Length && source[i] != '\n')
                {
                    i++;
                }

                continue;
            }

            if (char.IsLetter(c) || c == '_')
            {
                var start = i;
                while (i < source.Length && (char.IsLetterOrDigit(source[i]) || source[i] == '_'))
                {
                    i++;
                }

                var word = source[start..i];
                if (i < source.Length && source[i] is '\'' or '"' && IsStringPrefix(word))
                {
                    i = SkipString(source, i, ref line);
                    Flush();
                    continue;
                }

                if (!expectName)
                {
                    Flush();
                    currentLine = line;
                }

                current.Add(word);
                expectName = false;
                continue;
            }

            if (c == '.' && current.Count > 0 && !expectName && !(i + 1 < source.Length && char.IsDigit(source[i + 1])))
            {
                expectName = true;
                i++;
                continue;
            }

            if (c is '\'' or '"')
            {
                i = SkipString(source, i, ref line);
                Flush();
                continue;
            }

            if (char.IsDigit(c))
            {
                while (i < source.Length && (char.IsLetterOrDigit(source[i]) || source[i] is '.' or '_'))
                {
                    i++;
                }

                Flush();
                continue;
            }

            Flush();
            i++;
        }

        Flush();
        return done;

        void Flush()
        {
            if (current.Count > 0)
            {
                done.Add(new NameChain([.. current], currentLine));
                current.Clear();
            }

            expectName = false;
        }
    }

    private static bool IsStringPrefix(string word) =>
        word.Length <= 2 && word.All(ch => ch is 'r' or 'R' or 'b' or 'B' or 'u' or 'U' or 'f' or 'F');

    /// <summary>Skips a string literal starting at the quote at <paramref name="i"/>; returns the index after it.</summary>
    private static int SkipString(string source, int i, ref int line)
    {
        var quote = source[i];
        var triple = i + 2 < source.Length && source[i + 1] == quote && source[i + 2] == quote;
        i += triple ? 3 : 1;
        while (i < source.Length)
        {
            var c = source[i];
            if (c == '\\')
            {
                i += 2;
                continue;
            }

            if (c == '\n')
            {
                line++;
                if (!triple)
                {
                    return i;
                }
            }

            if (c == quote && (!triple || (i + 2 < source.Length && source[i + 1] == quote && source[i + 2] == quote)))
            {
                return i + (triple ? 3 : 1);
            }

            i++;
        }

        return i;
    }
}
