namespace Rampart.Scanning.Analyzers.PythonSource;

/// <summary>
/// A tolerant recursive-descent parser for Python 3.8–3.13. It builds the parts of the syntax tree the code rules
/// need and reads the rest only to get past it. A statement it cannot read becomes an <see cref="ErrorStmt"/> (the
/// tokens up to the end of the logical line are skipped, an indented block after it is still parsed) and a message in
/// <see cref="PyModule.Errors"/>; it never throws. Nesting deeper than <see cref="MaxDepth"/> is an error, not a
/// stack overflow. The class is split along its seams: this file holds the token cursor and the entry point,
/// PyParser.Statements.cs the statements and blocks, PyParser.Expressions.cs the expressions, PyParser.Strings.cs
/// string literals, f-strings and escapes.
/// </summary>
internal sealed partial class PyParser
{
    /// <summary>Deepest expression/statement nesting read before giving up on a statement.</summary>
    public const int MaxDepth = 200;

    private static readonly HashSet<string> Keywords = new(StringComparer.Ordinal)
    {
        "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class", "continue", "def", "del",
        "elif", "else", "except", "finally", "for", "from", "global", "if", "import", "in", "is", "lambda",
        "nonlocal", "not", "or", "pass", "raise", "return", "try", "while", "with", "yield",
    };

    private static readonly HashSet<string> AugmentedOps = new(StringComparer.Ordinal)
    {
        "+=", "-=", "*=", "/=", "//=", "%=", "@=", "&=", "|=", "^=", ">>=", "<<=", "**=",
    };

    private readonly string _source;
    private readonly IReadOnlyList<int> _lineStarts;
    private readonly List<string> _errors = [];
    private IReadOnlyList<Token> _t;
    private int _i;
    private int _depth;
    private bool _depthLimitReached;

    private PyParser(string source, IReadOnlyList<int> lineStarts, IReadOnlyList<Token> tokens)
    {
        _source = source;
        _lineStarts = lineStarts;
        _t = tokens;
    }

    private sealed class ParseFailure(string message) : Exception(message);

    public static PyModule Parse(string source, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        var (tokens, tokenErrors) = PyTokenizer.Tokenize(source);
        var parser = new PyParser(source, PyTokenizer.LineStarts(source), tokens);
        var body = parser.ParseStatements(topLevel: true, cancellationToken);
        return new PyModule(body, [.. tokenErrors, .. parser._errors], tokenErrors.Count) { DepthLimitReached = parser._depthLimitReached };
    }

    private Token Cur => _t[_i];

    private Token Peek(int k = 1) => _t[Math.Min(_i + k, _t.Count - 1)];

    private bool At(string op) => Cur.Kind is TokenKind.Op or TokenKind.Name && Cur.Text == op;

    private bool AtKeyword(string keyword) => Cur.Kind == TokenKind.Name && Cur.Text == keyword;

    private Token Next()
    {
        var t = _t[_i];
        if (_i < _t.Count - 1)
        {
            _i++;
        }

        return t;
    }

    private bool Accept(string op)
    {
        if (At(op))
        {
            Next();
            return true;
        }

        return false;
    }

    private Token Expect(string op)
    {
        if (!At(op))
        {
            throw Fail($"expected '{op}'");
        }

        return Next();
    }

    private string ExpectName()
    {
        if (Cur.Kind != TokenKind.Name || (Keywords.Contains(Cur.Text) && Cur.Text is not ("match" or "case" or "type")))
        {
            throw Fail("expected a name");
        }

        return Next().Text;
    }

    private ParseFailure Fail(string message) =>
        new($"{Cur.Line}:{Cur.Column}: {message}, found {(Cur.Kind == TokenKind.Newline ? "end of line" : Cur.Kind == TokenKind.EndOfFile ? "end of file" : $"'{Cur.Text}'")}");

    private void Enter()
    {
        if (++_depth > MaxDepth)
        {
            _depthLimitReached = true;
            throw Fail($"nesting deeper than {MaxDepth}");
        }
    }

    /// <summary>
    /// The statements of an indented block (its Indent already read) up to its Dedent. Past <see cref="MaxDepth"/>
    /// the block is skipped, token by token, and the limit is recorded: deep nesting never recurses further.
    /// </summary>
    private List<Stmt> ParseBlockBody(CancellationToken cancellationToken)
    {
        if (_depth >= MaxDepth)
        {
            _depthLimitReached = true;
            _errors.Add($"{Cur.Line}:{Cur.Column}: blocks nested deeper than {MaxDepth}, skipped");
            for (var open = 1; open > 0 && Cur.Kind != TokenKind.EndOfFile; Next())
            {
                open += Cur.Kind == TokenKind.Indent ? 1 : Cur.Kind == TokenKind.Dedent ? -1 : 0;
            }

            return [];
        }

        _depth++;
        try
        {
            var body = ParseStatements(false, cancellationToken);
            Accept(TokenKind.Dedent);
            return body;
        }
        finally
        {
            _depth--;
        }
    }
}
